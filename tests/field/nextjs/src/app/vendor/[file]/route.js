import { readFile } from 'node:fs/promises'
import path from 'node:path'

import { degraded } from '../../../lib/variant'

export const dynamic = 'force-dynamic'

// jQuery as the degraded release ships it: the npm-pinned 1.12.4 (package.json), copied to a
// vendor path with its banner intact, as themes and old widgets do.
const FILES = { 'jquery.min.js': 'node_modules/jquery/dist/jquery.min.js' }

export async function GET(_request, { params }) {
  const { file } = await params
  if (!degraded() || !FILES[file]) return new Response('Not found', { status: 404 })
  const body = await readFile(path.join(process.cwd(), FILES[file]))
  return new Response(body, {
    headers: {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=31536000, immutable',
    },
  })
}
