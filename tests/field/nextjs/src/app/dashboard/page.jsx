import { cookies } from 'next/headers'
import { redirect } from 'next/navigation'

import { SESSION_COOKIE, isValidSession } from '../../lib/session'
import { misconfigured } from '../../lib/variant'

export const metadata = { title: 'Dashboard' }

export default async function Dashboard() {
  const token = (await cookies()).get(SESSION_COOKIE)?.value
  // The proxy only checks that a cookie is there; the page checks it is a real session.
  // The misconfigured deployment trusts the proxy, whose route list misses this page.
  if (!misconfigured() && !isValidSession(token)) redirect('/login')
  return (
    <main>
      <h1 id="welcome">Welcome back</h1>
      <p>Your orders and invoices.</p>
      <form method="post" action="/api/auth/logout">
        <button id="logout-submit" type="submit">
          Sign out
        </button>
      </form>
    </main>
  )
}
