// Keys (the names the API and formulas use): ^[a-z][a-z0-9_]{0,62}$, not a system column name.
export const KEY_RE = /^[a-z][a-z0-9_]{0,62}$/
export const RESERVED = new Set([
  'id', 'version', 'created_at', 'created_by', 'updated_at', 'updated_by', 'owner_id', 'deleted_at',
  'items', 'total', 'next_cursor', 'query', 'bulk', 'export', 'import', 'history', 'restore',
])

/** A key suggested from a name: ASCII words in snake_case, else `prefix_N` (Chinese names). */
export function suggestKey(name: string, prefix: string, taken: Iterable<string>): string {
  const used = new Set(taken)
  let base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 50)
  if (!base || !/^[a-z]/.test(base) || RESERVED.has(base)) base = ''
  if (base && !used.has(base)) return base
  const stem = base || prefix
  for (let n = base ? 2 : 1; ; n++) {
    const k = `${stem}_${n}`
    if (!used.has(k)) return k
  }
}

export function keyProblem(key: string): string | null {
  if (!KEY_RE.test(key)) return 'validation.key'
  if (RESERVED.has(key)) return 'validation.key_reserved'
  return null
}
