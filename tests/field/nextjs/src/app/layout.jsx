import './globals.css'

import { connection } from 'next/server'

import { siteOrigin } from '../lib/site'

export async function generateMetadata() {
  return {
    // Canonical links resolve against the origin the visitor used (see lib/site.js).
    metadataBase: new URL(await siteOrigin()),
    title: 'Field shop',
    description: 'The field test bed: a Next.js production build behind nginx.',
  }
}

export default async function RootLayout({ children }) {
  // Every page, the 404 included, renders per request: Next.js puts the request's CSP nonce
  // on its scripts only then (a prerendered page has no request, so no nonce).
  await connection()
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  )
}
