import { cspNonce } from '../lib/site'

// jQuery 1.12.4, pinned in package.json and served from /vendor (see app/vendor): a library
// with published advisories, as an old theme or widget brings it in. Rendered by the degraded
// release only.
export default async function OldJquery() {
  return <script src="/vendor/jquery.min.js" nonce={await cspNonce()} />
}
