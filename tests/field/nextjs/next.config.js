// Production config of the field test bed's Next.js target, written as the seeds write it
// (seed 001's next.config.js headers(), seed 003's header values).
//
// headers() is compiled into .next/routes-manifest.json by `next build`: these are the same
// in both variants. What differs at run time lives in src/proxy.js and the route handlers.

const misconfigured = process.env.FIELD_VARIANT === 'misconfigured'

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The field bed's second build (the leaky one) goes to its own directory, built and
  // started with FIELD_DIST_DIR set; see tests/field/nextjs_stack.py.
  distDir: process.env.FIELD_DIST_DIR || '.next',
  // `next dev` (tests/field/test_nextjs_bundle.py) must not write files into the app.
  agentRules: false,
  experimental: { agentUpgrade: false },
  turbopack: {
    resolveAlias: { 'field-catalog': process.env.FIELD_CATALOG || './src/lib/catalog.js' },
  },
  // Seed 001's image optimization (formats: ['image/webp', 'image/avif']), cached a month;
  // static imports are immutable anyway.
  images: { formats: ['image/avif', 'image/webp'], minimumCacheTTL: 2678400 },
  // Production optimizations
  productionBrowserSourceMaps: false,
  compress: true,
  // Read again by `next start` (not part of the build manifest): the misconfigured
  // deployment keeps Next's default "X-Powered-By: Next.js".
  poweredByHeader: misconfigured,

  // Security headers
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' },
          // Obsolete (reported as info by the suites), but every seed lists it.
          { key: 'X-XSS-Protection', value: '1; mode=block' },
          {
            key: 'Strict-Transport-Security',
            value: 'max-age=63072000; includeSubDomains; preload',
          },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()' },
        ],
      },
    ]
  },
}

module.exports = nextConfig
