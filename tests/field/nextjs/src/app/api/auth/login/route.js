import { createHash, timingSafeEqual } from 'node:crypto'

import { NextResponse } from 'next/server'

import { rateLimit, withHeaders } from '../../../../lib/ratelimit'
import { SESSION_COOKIE, newSessionToken, sessionCookieOptions } from '../../../../lib/session'
import { misconfigured } from '../../../../lib/variant'

const USERNAME = 'probe@example.com'

// Constant-time comparison of two non-empty strings (digests have equal lengths).
function same(given, expected) {
  if (typeof given !== 'string' || typeof expected !== 'string' || !expected) return false
  const digest = (text) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

// The form posts here (303 to the dashboard or back to /login); API clients send JSON.
export async function POST(request) {
  // The misconfigured deployment never wired the limiter to its login route.
  const limited = misconfigured() ? { headers: {}, refused: null } : rateLimit('login', request)
  if (limited.refused) return limited.refused

  const json = (request.headers.get('content-type') ?? '').includes('application/json')
  let username
  let password
  try {
    if (json) {
      const body = await request.json()
      username = body.email ?? body.username
      password = body.password
    } else {
      const form = await request.formData()
      username = form.get('username')
      password = form.get('password')
    }
  } catch {
    return withHeaders(Response.json({ error: 'Bad request' }, { status: 400 }), limited.headers)
  }

  const ok = same(username, USERNAME) && same(password, process.env.FIELD_LOGIN_PASSWORD)
  if (!ok) {
    const refused = json
      ? Response.json({ error: 'Wrong email or password' }, { status: 401 })
      : new NextResponse(null, { status: 303, headers: { Location: '/login?error=1' } })
    return withHeaders(refused, limited.headers)
  }
  const response = json
    ? NextResponse.json({ ok: true })
    : new NextResponse(null, { status: 303, headers: { Location: '/dashboard' } })
  response.headers.set('Cache-Control', 'private, no-store')
  response.cookies.set(SESSION_COOKIE, newSessionToken(), sessionCookieOptions())
  return withHeaders(response, limited.headers)
}
