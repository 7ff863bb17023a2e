
// A description of its own: the root layout's is the home page's.
export const metadata = {
  title: 'Sign in',
  description: 'Sign in to your field shop account.',
}

export default async function Login({ searchParams }) {
  const { error } = await searchParams
  return (
    <main>
      <h1>Sign in</h1>
      {error ? (
        <p role="alert" className="alert">
          Wrong email or password.
        </p>
      ) : null}
      {/* A plain form post: works before (and without) hydration. */}
      <form method="post" action="/api/auth/login">
        <label htmlFor="username">Email</label>
        <input id="username" name="username" type="email" autoComplete="username" required />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
        />
        <button type="submit">Sign in</button>
      </form>
    </main>
  )
}
