export const dynamic = 'force-dynamic'

// A Vercel-style cron route: only the scheduler, with the CRON_SECRET bearer, may run it.
export function GET(request) {
  const secret = process.env.CRON_SECRET
  // The guard as often written: skipped when CRON_SECRET is not set in the deployment's
  // environment, which is how the misconfigured deployment runs it.
  if (secret && request.headers.get('authorization') !== `Bearer ${secret}`) {
    return Response.json({ error: 'Unauthorized' }, { status: 401 })
  }
  return Response.json({ ok: true, deleted: 0 }, { headers: { 'Cache-Control': 'no-store' } })
}
