// Which deployment this process is: one build serves every variant, chosen per process at run
// time.
//
// FIELD_VARIANT is read on every call, never at module load, and it has no NEXT_PUBLIC_
// prefix, so `next build` cannot inline it: the same .next/ runs good, misconfigured or
// degraded.
export function misconfigured() {
  return process.env.FIELD_VARIANT === 'misconfigured'
}

// The degraded deployment: the good edge and security, with the page-quality mistakes real
// releases ship (images, accessibility, SEO, an old jQuery, slow handlers).
export function degraded() {
  return process.env.FIELD_VARIANT === 'degraded'
}
