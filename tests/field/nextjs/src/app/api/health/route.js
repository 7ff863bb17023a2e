import { misconfigured } from '../../../lib/variant'

// Evaluated per request: the variant is read at run time, never prerendered at build.
export const dynamic = 'force-dynamic'

export function GET() {
  // Seed 001's "Cache static pages" header, applied to the health check by mistake: a CDN
  // would keep answering "ok" for an hour after the app went down.
  const cacheControl = misconfigured()
    ? 'public, s-maxage=3600, stale-while-revalidate=86400'
    : 'no-store'
  return Response.json({ status: 'ok' }, { headers: { 'Cache-Control': cacheControl } })
}
