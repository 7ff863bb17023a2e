// Which deployment this process is: one build serves both, chosen per process at run time.
//
// FIELD_VARIANT is read on every call, never at module load, and it has no NEXT_PUBLIC_
// prefix, so `next build` cannot inline it: the same .next/ runs good or misconfigured.
export function misconfigured() {
  return process.env.FIELD_VARIANT === 'misconfigured'
}
