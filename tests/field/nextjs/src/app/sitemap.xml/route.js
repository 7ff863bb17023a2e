import { STAGING_ORIGIN, siteOrigin } from '../../lib/site'
import { degraded } from '../../lib/variant'

export const dynamic = 'force-dynamic'

const PAGES = ['/', '/login', '/gallery']

// The site's public pages. The degraded release's sitemap was generated with staging's base
// URL: every entry names the staging host.
export async function GET() {
  const origin = degraded() ? STAGING_ORIGIN : await siteOrigin()
  const urls = PAGES.map((page) => `  <url><loc>${origin}${page}</loc></url>`).join('\n')
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls}\n</urlset>\n`
  return new Response(body, {
    headers: { 'Content-Type': 'application/xml; charset=utf-8', 'Cache-Control': 'public, max-age=3600' },
  })
}
