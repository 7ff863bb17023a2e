import { deflateSync } from 'node:zlib'

import { degraded } from '../../../lib/variant'

export const dynamic = 'force-dynamic'

// The degraded release's images: PNGs straight from the origin, far larger than they are
// shown, with a one-minute cache. Made once per process from a seeded generator (a photo's
// grain does not compress), so every run serves the same bytes.
const SIZES = {
  'hero.png': [2400, 1600],
  ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`product-${n}.png`, [800, 600]])),
}
const made = new Map()

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes) {
  let c = 0xffffffff
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

function grainyPng(width, height, seed) {
  let state = seed
  const raw = Buffer.alloc((width * 3 + 1) * height)
  let at = 0
  for (let y = 0; y < height; y += 1) {
    raw[at++] = 0
    for (let x = 0; x < width; x += 1) {
      state = (state * 1103515245 + 12345) >>> 0
      const grain = (state >>> 16) & 3
      raw[at++] = ((x * 160) / width + grain) & 255
      raw[at++] = ((y * 160) / height + grain) & 255
      raw[at++] = (90 + grain * 2) & 255
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

export async function GET(_request, { params }) {
  const { file } = await params
  const size = SIZES[file]
  if (!degraded() || !size) return new Response('Not found', { status: 404 })
  if (!made.has(file)) made.set(file, grainyPng(size[0], size[1], file.length * 7919))
  return new Response(made.get(file), {
    headers: { 'Content-Type': 'image/png', 'Cache-Control': 'public, max-age=60' },
  })
}
