import { siteOrigin } from '../../lib/site'
import { degraded } from '../../lib/variant'

export const dynamic = 'force-dynamic'

// Good: crawl everything public, the sitemap named. Degraded: staging's robots.txt, shipped to
// production.
export async function GET() {
  const origin = await siteOrigin()
  const rules = degraded()
    ? ['User-agent: *', 'Disallow: /']
    : ['User-agent: *', 'Allow: /', 'Disallow: /api/', 'Disallow: /dashboard']
  const body = [...rules, '', `Sitemap: ${origin}/sitemap.xml`, ''].join('\n')
  return new Response(body, {
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'public, max-age=3600' },
  })
}
