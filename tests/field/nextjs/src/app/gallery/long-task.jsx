'use client'

import { useEffect } from 'react'

// The degraded release runs a 600 ms task as the page loads (a client-side analytics script
// parsing everything at once): Total Blocking Time.
export default function LongTask({ enabled }) {
  useEffect(() => {
    if (!enabled) return
    const until = performance.now() + 600
    while (performance.now() < until) {
      // busy
    }
  }, [enabled])
  return null
}
