// Stateless session tokens: random id + HMAC, so the proxy, the pages and the route handlers
// (separate bundles) agree without a shared store.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

import { misconfigured } from './variant'

export const SESSION_COOKIE = 'session'
export const SESSION_MAX_AGE_S = 8 * 3600

function secret() {
  // Set by the deployment; a per-process fallback keeps sessions valid until a restart.
  globalThis.__prodreadySessionSecret ??=
    process.env.SESSION_SECRET || randomBytes(32).toString('hex')
  return globalThis.__prodreadySessionSecret
}

function sign(id) {
  return createHmac('sha256', secret()).update(id).digest('base64url')
}

export function newSessionToken() {
  const id = randomBytes(18).toString('base64url')
  return `${id}.${sign(id)}`
}

export function isValidSession(token) {
  if (!token) return false
  const [id, mac] = token.split('.')
  if (!id || !mac) return false
  const expected = Buffer.from(sign(id))
  const given = Buffer.from(mac)
  return expected.length === given.length && timingSafeEqual(expected, given)
}

// The cookie attributes: HttpOnly, Secure, SameSite=Lax (seed 004's "httpOnly, secure,
// sameSite cookies"); the misconfigured deployment sets a bare cookie.
export function sessionCookieOptions(maxAge = SESSION_MAX_AGE_S) {
  if (misconfigured()) return { path: '/', maxAge }
  return { path: '/', maxAge, httpOnly: true, secure: true, sameSite: 'lax' }
}
