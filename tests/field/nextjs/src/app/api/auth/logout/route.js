import { NextResponse } from 'next/server'

import { SESSION_COOKIE, sessionCookieOptions } from '../../../../lib/session'
import { misconfigured } from '../../../../lib/variant'

export function POST() {
  const response = new NextResponse(null, { status: 303, headers: { Location: '/login' } })
  response.headers.set('Cache-Control', 'private, no-store')
  // Expire the cookie with the attributes it was set with. The misconfigured deployment
  // only redirects: the browser keeps its session cookie.
  if (!misconfigured()) response.cookies.set(SESSION_COOKIE, '', sessionCookieOptions(0))
  return response
}
