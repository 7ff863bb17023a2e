import { rateLimit, withHeaders } from '../../../lib/ratelimit'

export const dynamic = 'force-dynamic'

const ITEMS = [
  { id: 1, name: 'Starter plan', price_cents: 1250 },
  { id: 2, name: 'Team plan', price_cents: 4900 },
]

export function GET(request) {
  const { headers, refused } = rateLimit('api', request)
  if (refused) return refused
  return withHeaders(Response.json(ITEMS, { headers: { 'Cache-Control': 'no-store' } }), headers)
}
