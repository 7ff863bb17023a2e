import { misconfigured } from '../../../../lib/variant'

export const dynamic = 'force-dynamic'

// Seed 004's shape: flat component states next to the overall status.
export function GET() {
  const database = misconfigured() ? 'down' : 'operational'
  return Response.json(
    {
      status: 'operational',
      database,
      stripe: 'operational',
      twilio: 'operational',
      resend: 'operational',
      sentry: 'operational',
      checkedAt: new Date().toISOString(),
    },
    { headers: { 'Cache-Control': 'no-store' } },
  )
}
