// Next.js 16 renamed middleware.ts to proxy.ts (same API, Node.js runtime). This is seed 001's
// src/middleware.ts (protected routes redirect to /login without a session cookie) with the
// per-request nonce CSP Next.js documents; the misconfigured deployment sends seed 003's
// static CSP and seed 001's CORS headers instead.
import { NextResponse } from 'next/server'

import { SEED_003_CSP, nonceCsp } from './lib/csp'
import { SESSION_COOKIE } from './lib/session'
import { misconfigured } from './lib/variant'

const PROTECTED_ROUTES = ['/dashboard', '/settings']
// The misconfigured deployment still has seed 001's list, written before /dashboard existed.
const SEED_001_PROTECTED_ROUTES = ['/projects', '/analytics', '/settings', '/generate']

// Seed 001's CORS_HEADERS, with the allowed origin taken from the request: any site may read
// the API with the visitor's cookies.
function reflectedCors(request) {
  return {
    'Access-Control-Allow-Origin': request.headers.get('origin') ?? '*',
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization',
    'Access-Control-Max-Age': '86400',
  }
}

// The misconfigured deployment: seed 003's static CSP (no nonce), seed 001's CORS on the API.
function misconfiguredResponse(request, path) {
  const headers = path.startsWith('/api/') ? reflectedCors(request) : {}
  if (path.startsWith('/api/') && request.method === 'OPTIONS') {
    return new NextResponse(null, { status: 204, headers })
  }
  const response = NextResponse.next()
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value)
  response.headers.set('Content-Security-Policy', SEED_003_CSP)
  return response
}

export function proxy(request) {
  const bad = misconfigured()
  const path = request.nextUrl.pathname

  const protectedRoutes = bad ? SEED_001_PROTECTED_ROUTES : PROTECTED_ROUTES
  if (protectedRoutes.some((route) => path === route || path.startsWith(`${route}/`))) {
    const token = request.cookies.get(SESSION_COOKIE)
    if (!token) {
      // Seed 001's redirect. Next.js sends a same-origin redirect as a relative Location
      // ("/login"), so it stays on the https:// origin nginx serves.
      return NextResponse.redirect(new URL('/login', request.url))
    }
  }
  if (bad) return misconfiguredResponse(request, path)

  // A fresh nonce per request; Next.js reads it back from the request's CSP header and puts
  // it on its own scripts, so pages must render per request (await connection()).
  const nonce = Buffer.from(crypto.randomUUID()).toString('base64')
  const csp = nonceCsp(nonce)
  const requestHeaders = new Headers(request.headers)
  requestHeaders.set('x-nonce', nonce)
  requestHeaders.set('Content-Security-Policy', csp)
  const response = NextResponse.next({ request: { headers: requestHeaders } })
  response.headers.set('Content-Security-Policy', csp)
  return response
}

export const config = {
  // Seed 001's matcher: everything but static assets.
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
}
