import Link from 'next/link'

import Storefront from './storefront'

export default function Home() {
  return (
    <main>
      <h1>Field shop</h1>
      <p>A Next.js production build, behind nginx, judged by pytest-prodready.</p>
      <p>
        <Link href="/login">Sign in</Link>
      </p>
      <Storefront />
    </main>
  )
}
