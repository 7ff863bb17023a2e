export const dynamic = 'force-dynamic'

// The release this process serves: APP_VERSION, set by the deployment at start.
export function GET() {
  return Response.json(
    { version: process.env.APP_VERSION || 'unknown', commit: process.env.APP_COMMIT || null },
    { headers: { 'Cache-Control': 'no-store' } },
  )
}
