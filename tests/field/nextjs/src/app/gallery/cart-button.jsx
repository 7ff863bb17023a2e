'use client'

import { useState } from 'react'

// The gallery's icon button. The degraded release ships it without an accessible name and with
// a click handler that blocks the main thread (a synchronous re-sort of the cart), the
// interaction latency INP measures.
export default function CartButton({ slow }) {
  const [count, setCount] = useState(0)
  function add() {
    if (slow) {
      const until = performance.now() + 300
      while (performance.now() < until) {
        // busy: the main thread is blocked, the next frame waits
      }
    }
    setCount((n) => n + 1)
  }
  return (
    <p>
      <button
        id="add-to-cart"
        type="button"
        className="cart"
        onClick={add}
        {...(slow ? {} : { 'aria-label': 'Add to cart' })}
      >
        <svg aria-hidden="true" width="24" height="24" viewBox="0 0 24 24">
          <path d="M3 4h2l3 12h11l2-8H7" fill="none" stroke="currentColor" strokeWidth="2" />
        </svg>
      </button>{' '}
      <output id="cart-count">{count}</output>
    </p>
  )
}
