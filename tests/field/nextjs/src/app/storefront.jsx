'use client'

// The browser SDKs' settings, from NEXT_PUBLIC_ variables as the seeds' apps read them: `next
// build` inlines each value into this client chunk. The production build gets the public
// ones; the leaky build (tests/field/nextjs_stack.py) also gets server keys and staging's
// values, the mistakes the bundle suite must catch.
import { useEffect } from 'react'

import catalog from 'field-catalog'

const settings = {
  stripe: { publishableKey: process.env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY },
  supabase: {
    url: process.env.NEXT_PUBLIC_SUPABASE_URL,
    anonKey: process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY,
    publishableKey: process.env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY,
  },
  sentry: {
    dsn: process.env.NEXT_PUBLIC_SENTRY_DSN,
    environment: process.env.NEXT_PUBLIC_SENTRY_ENVIRONMENT,
  },
  apiUrl: process.env.NEXT_PUBLIC_API_URL,
  // Server-side keys: set only in the leaky build.
  stripeSecretKey: process.env.NEXT_PUBLIC_STRIPE_SECRET_KEY,
  resendApiKey: process.env.NEXT_PUBLIC_RESEND_API_KEY,
  sendgridApiKey: process.env.NEXT_PUBLIC_SENDGRID_API_KEY,
  sentryAuthToken: process.env.NEXT_PUBLIC_SENTRY_AUTH_TOKEN,
  supabaseSecretKey: process.env.NEXT_PUBLIC_SUPABASE_SECRET_KEY,
  upstash: {
    url: process.env.NEXT_PUBLIC_UPSTASH_REDIS_REST_URL,
    token: process.env.NEXT_PUBLIC_UPSTASH_REDIS_REST_TOKEN,
  },
  twilioAuthToken: process.env.NEXT_PUBLIC_TWILIO_AUTH_TOKEN,
}

export default function Storefront() {
  useEffect(() => {
    window.__storefront = { settings, products: catalog.length }
  }, [])
  return null
}
