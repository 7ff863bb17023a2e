// Content-Security-Policy values, one per variant.

// Good: the seeds' directive list (seed 000), with a fresh nonce and 'strict-dynamic' in
// place of 'unsafe-inline', the pattern Next.js documents for a proxy-set CSP.
export function nonceCsp(nonce) {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: https:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    'upgrade-insecure-requests',
  ].join('; ')
}

// Misconfigured: seed 003's policy, word for word: inline scripts allowed, no object-src,
// base-uri, form-action or frame-ancestors.
export const SEED_003_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' https://js.stripe.com",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "connect-src 'self' https://api.stripe.com https://*.supabase.co",
  'frame-src https://js.stripe.com',
].join('; ')
