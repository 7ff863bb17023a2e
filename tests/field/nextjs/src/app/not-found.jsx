// Next.js's built-in 404 styles itself with style attributes, which a nonce-only style-src
// blocks; this one uses the stylesheet.
export const metadata = { title: 'Page not found' }

export default function NotFound() {
  return (
    <main>
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
    </main>
  )
}
