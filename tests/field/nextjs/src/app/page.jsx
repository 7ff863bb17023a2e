import Link from 'next/link'

import { degraded } from '../lib/variant'
import OldJquery from './old-jquery'
import Storefront from './storefront'

export async function generateMetadata() {
  return {
    alternates: { canonical: '/' },
    // The degraded release ships staging's "keep out of search" setting to production.
    ...(degraded() ? { robots: { index: false, follow: false } } : {}),
  }
}

export default async function Home() {
  return (
    <main>
      <h1>Field shop</h1>
      <p>A Next.js production build, behind nginx, judged by pytest-prodready.</p>
      <p>
        <Link href="/login">Sign in</Link> · <Link href="/gallery">Gallery</Link>
      </p>
      <Storefront />
      {degraded() ? <OldJquery /> : null}
    </main>
  )
}
