import { getImageProps } from 'next/image'

import { STAGING_ORIGIN } from '../../lib/site'
import { degraded } from '../../lib/variant'
import OldJquery from '../old-jquery'
import CartButton from './cart-button'
import hero from './images/hero.png'
import product1 from './images/product-1.png'
import product2 from './images/product-2.png'
import product3 from './images/product-3.png'
import product4 from './images/product-4.png'
import product5 from './images/product-5.png'
import product6 from './images/product-6.png'
import LongTask from './long-task'

const PRODUCTS = [product1, product2, product3, product4, product5, product6]

export async function generateMetadata() {
  if (degraded()) {
    // The home page's title again, no description of its own, staging's canonical and
    // "noindex": a page template copied from staging.
    return {
      title: 'Field shop',
      description: null,
      alternates: { canonical: `${STAGING_ORIGIN}/gallery` },
      robots: { index: false, follow: false },
    }
  }
  return {
    title: 'Gallery · Field shop',
    description: 'Six products from the field shop, photographed.',
    alternates: { canonical: '/gallery' },
  }
}

// next/image's props without its inline style attribute (color: transparent), which the
// nonce-only style-src would refuse.
function optimized(image, alt, options) {
  const { props } = getImageProps({ src: image, alt, ...options })
  const { style: _style, ...rest } = props
  return rest
}

export default async function Gallery() {
  const bad = degraded()
  return (
    <main>
      <h1>Gallery</h1>
      {bad ? (
        // A 2400x1600 PNG straight from the origin, shown 320 px wide, no alt, cached a minute.
        <img src="/media/hero.png" width={320} height={213} className="hero" />
      ) : (
        <img
          {...optimized(hero, 'The field shop: shelves of products in warm light', {
            sizes: '(max-width: 640px) 100vw, 640px',
            preload: true,
          })}
          className="hero"
        />
      )}
      <CartButton slow={bad} />
      <LongTask enabled={bad} />
      <p className="lead">Everything below is further down the page than a phone shows at first.</p>
      <ul className="products">
        {PRODUCTS.map((image, index) => (
          <li key={index}>
            {bad ? (
              <img src={`/media/product-${index + 1}.png`} width={300} height={225} alt="" />
            ) : (
              <img {...optimized(image, `Product ${index + 1}`, { sizes: '300px' })} />
            )}
          </li>
        ))}
      </ul>
      {bad ? <OldJquery /> : null}
    </main>
  )
}
