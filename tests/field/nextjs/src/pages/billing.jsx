// A Pages Router route: its chunk is named by /_next/static/<buildId>/_buildManifest.js and by
// no <script> tag of the App Router pages, so only manifest discovery reaches it. The leaky
// build inlines server keys here too.
import { useEffect } from 'react'

const keys = {
  stripeRestrictedKey: process.env.NEXT_PUBLIC_STRIPE_RESTRICTED_KEY,
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

export default function Billing() {
  useEffect(() => {
    window.__billing = keys
  }, [])
  return (
    <main>
      <h1>Billing</h1>
    </main>
  )
}
