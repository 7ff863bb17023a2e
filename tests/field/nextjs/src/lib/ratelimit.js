// An in-memory fixed-window limiter (one process: `next start` serves every route from it).
//
// Windows are a few seconds so the suites' bursts and their reset wait stay short. The store
// lives on globalThis: each route handler is its own bundle, and they must share one store.
import { misconfigured } from './variant'

export const POLICIES = {
  login: { limit: 5, windowS: 3 },
  api: { limit: 10, windowS: 3 },
}

// What the misconfigured deployment advertises: seed 001's RATE_LIMIT_REQUESTS=100 default,
// while the route enforces its own smaller limit.
const ADVERTISED_BY_MISTAKE = 100

const store = (globalThis.__prodreadyRateLimit ??= new Map())

function clientKey(request) {
  // nginx in front sets X-Real-IP; without it every client is one bucket.
  return request.headers.get('x-real-ip') ?? 'direct'
}

function take(name, request) {
  const policy = POLICIES[name]
  const now = Date.now()
  const key = `${name}:${clientKey(request)}`
  let bucket = store.get(key)
  if (!bucket || now >= bucket.resetAt) {
    bucket = { count: 0, resetAt: now + policy.windowS * 1000 }
    store.set(key, bucket)
  }
  bucket.count += 1
  const resetS = Math.max(1, Math.ceil((bucket.resetAt - now) / 1000))
  return {
    policy,
    allowed: bucket.count <= policy.limit,
    remaining: Math.max(0, policy.limit - bucket.count),
    resetS,
  }
}

// IETF RateLimit/RateLimit-Policy (draft 07 forms) and the X-RateLimit-* family.
function headersOf({ policy, remaining, resetS }) {
  return {
    'RateLimit-Policy': `${policy.limit};w=${policy.windowS}`,
    RateLimit: `limit=${policy.limit}, remaining=${remaining}, reset=${resetS}`,
    'X-RateLimit-Limit': String(policy.limit),
    'X-RateLimit-Remaining': String(remaining),
    'X-RateLimit-Reset': String(resetS),
  }
}

// Returns { headers, refused }: headers to add to the answer, and a 429 Response when the
// request is over the limit (else null).
export function rateLimit(name, request) {
  const state = take(name, request)
  if (misconfigured()) {
    // The misconfigured limiter advertises 100 while it enforces the policy's limit, and its
    // 429 says nothing about when to retry.
    const headers = { 'X-RateLimit-Limit': String(ADVERTISED_BY_MISTAKE) }
    if (state.allowed) return { headers, refused: null }
    return {
      headers,
      refused: Response.json({ error: 'Too many requests' }, { status: 429 }),
    }
  }
  const headers = headersOf(state)
  if (state.allowed) return { headers, refused: null }
  return {
    headers,
    refused: Response.json(
      { error: 'Rate limit exceeded. Please try again in a moment.' },
      { status: 429, headers: { ...headers, 'Retry-After': String(state.resetS) } },
    ),
  }
}

export function withHeaders(response, headers) {
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value)
  return response
}
