import { headers } from 'next/headers'

// The site's own origin, as the visitor reached it (nginx passes Host and the scheme), for
// canonical links, robots.txt and the sitemap. A real deployment would configure it; the test
// bed's port changes with every start.
export async function siteOrigin() {
  const h = await headers()
  const proto = h.get('x-forwarded-proto') ?? 'http'
  return `${proto}://${h.get('host')}`
}

// Where the degraded release points its canonical links and sitemap: a staging host, never
// fetched.
export const STAGING_ORIGIN = 'https://staging.example.com'

// The per-request CSP nonce src/proxy.js sets, for scripts a page adds itself.
export async function cspNonce() {
  return (await headers()).get('x-nonce') ?? undefined
}
