// The visual condition builder's model and the formula it stands for, both ways: a group of
// conditions (AND / OR, one level of nested groups) is written as ``AND(...)`` / ``OR(...)`` of
// comparisons, CONTAINS, ISBLANK and NOT; a formula of that shape is read back into the model.
// Anything else (arithmetic, other functions) stays in the formula editor: ``parseCondition``
// says null.
import type { Field } from '@/api/types'

export type Family = 'text' | 'number' | 'date' | 'boolean'

export interface Cond {
  kind: 'cond'
  field: string
  op: string
  value: unknown
}
export interface CondGroup {
  kind: 'and' | 'or'
  items: (Cond | CondGroup)[]
}

const TEXT_TYPES = new Set(['text', 'long_text', 'email', 'phone', 'url', 'vin', 'id_number', 'credit_code', 'single_select', 'auto_number'])
const NUMBER_TYPES = new Set(['number', 'currency', 'percent', 'rating', 'rollup'])

/** How formulas see a field (src/cairn/query/formula.py ``formula_type_of``); null: not at all
 * in the visual builder (users, relations, lists, files). */
export function familyOf(f: Field): Family | null {
  if (f.options?.sensitive) return null
  if (TEXT_TYPES.has(f.type)) return 'text'
  if (NUMBER_TYPES.has(f.type)) return 'number'
  if (f.type === 'date' || f.type === 'datetime') return 'date'
  if (f.type === 'boolean') return 'boolean'
  if (f.type === 'formula') {
    const r = String(f.options?.result_type ?? '')
    if (r === 'text' || r === 'number' || r === 'boolean') return r
    if (r === 'date' || r === 'datetime') return 'date'
  }
  return null
}

export const OPS: Record<Family, string[]> = {
  text: ['eq', 'ne', 'contains', 'not_contains', 'is_empty', 'is_not_empty'],
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'is_empty', 'is_not_empty'],
  date: ['eq', 'lt', 'gt', 'lte', 'gte', 'before_today', 'after_today', 'is_empty', 'is_not_empty'],
  boolean: ['is_true', 'is_false'],
}
/** Operators that take no value. */
export const NO_VALUE = new Set(['is_empty', 'is_not_empty', 'before_today', 'after_today', 'is_true', 'is_false'])

const COMPARE: Record<string, string> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }
const COMPARE_BACK: Record<string, string> = Object.fromEntries(Object.entries(COMPARE).map(([k, v]) => [v, k]))

export function emptyGroup(kind: 'and' | 'or' = 'and'): CondGroup {
  return { kind, items: [] }
}

export function complete(c: Cond): boolean {
  if (!c.field || !c.op) return false
  if (NO_VALUE.has(c.op)) return true
  return c.value !== null && c.value !== undefined && c.value !== ''
}

// -- model → formula -----------------------------------------------------------------------
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`

function literal(family: Family, v: unknown): string {
  if (family === 'number') return String(Number(v))
  if (family === 'date') {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(v))
    return m ? `DATE(${Number(m[1])}, ${Number(m[2])}, ${Number(m[3])})` : 'TODAY()'
  }
  return quote(String(v))
}

function condFormula(c: Cond, fields: Field[]): string | null {
  const f = fields.find((x) => x.key === c.field)
  const fam = f && familyOf(f)
  if (!fam || !complete(c)) return null
  const ref = `{${c.field}}`
  switch (c.op) {
    case 'is_empty':
      return `ISBLANK(${ref})`
    case 'is_not_empty':
      return `NOT(ISBLANK(${ref}))`
    case 'is_true':
      return `${ref} = TRUE()`
    case 'is_false':
      return `${ref} = FALSE()`
    case 'before_today':
      return `${ref} < TODAY()`
    case 'after_today':
      return `${ref} > TODAY()`
    case 'contains':
      return `CONTAINS(${ref}, ${quote(String(c.value))})`
    case 'not_contains':
      return `NOT(CONTAINS(${ref}, ${quote(String(c.value))}))`
  }
  const op = COMPARE[c.op]
  return op ? `${ref} ${op} ${literal(fam, c.value)}` : null
}

/** The formula of a group (conditions not filled in yet left out); '' when nothing is left. */
export function toFormula(g: CondGroup, fields: Field[]): string {
  const parts: string[] = []
  for (const it of g.items) {
    const s = it.kind === 'cond' ? condFormula(it, fields) : toFormula(it, fields)
    if (s) parts.push(s)
  }
  if (parts.length === 0) return ''
  if (parts.length === 1) return parts[0]
  return `${g.kind.toUpperCase()}(${parts.join(', ')})`
}

// -- formula → model -----------------------------------------------------------------------
type Node =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'field'; v: string }
  | { t: 'call'; name: string; args: Node[] }
  | { t: 'cmp'; op: string; a: Node; b: Node }

const TOKEN = /\s*(?:(\d+(?:\.\d*)?|\.\d+)|("(?:[^"]|"")*")|(\{[^{}]*\})|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|=|<|>)|([(),-]))/y

function tokenize(text: string): string[] | null {
  const out: string[] = []
  TOKEN.lastIndex = 0
  let at = 0
  const src = text.replace(/\u3000/g, ' ')
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break
    TOKEN.lastIndex = at
    const m = TOKEN.exec(src)
    if (!m) return null
    out.push(m[0].trim())
    at = TOKEN.lastIndex
  }
  return out
}

/** A small parser for the shapes the builder writes: calls, comparisons, literals, fields. */
function parse(text: string): Node | null {
  const found = tokenize(text)
  if (!found || !found.length) return null
  const toks: string[] = found
  let i = 0
  const peek = () => toks[i]
  function atom(): Node | null {
    const tok = toks[i++]
    if (tok === undefined) return null
    if (tok === '-' && /^[\d.]/.test(peek() ?? '')) return { t: 'num', v: -Number(toks[i++]) }
    if (/^[\d.]/.test(tok)) return { t: 'num', v: Number(tok) }
    if (tok.startsWith('"')) return { t: 'str', v: tok.slice(1, -1).replace(/""/g, '"') }
    if (tok.startsWith('{')) return { t: 'field', v: tok.slice(1, -1).trim() }
    if (tok === '(') {
      const e = expr()
      return e && toks[i++] === ')' ? e : null
    }
    if (/^[A-Za-z_]/.test(tok) && peek() === '(') {
      i++
      const args: Node[] = []
      if (peek() === ')') {
        i++
        return { t: 'call', name: tok.toUpperCase(), args }
      }
      for (;;) {
        const a = expr()
        if (!a) return null
        args.push(a)
        const sep = toks[i++]
        if (sep === ')') return { t: 'call', name: tok.toUpperCase(), args }
        if (sep !== ',') return null
      }
    }
    return null
  }
  function expr(): Node | null {
    const a = atom()
    if (!a) return null
    if (peek() && COMPARE_BACK[peek()]) {
      const op = toks[i++]
      const b = atom()
      return b ? { t: 'cmp', op, a, b } : null
    }
    return a
  }
  const root = expr()
  return root && i === toks.length ? root : null
}

function fieldKey(n: Node, fields: Field[]): Field | null {
  if (n.t !== 'field') return null
  return fields.find((f) => f.key === n.v) ?? fields.find((f) => f.name === n.v) ?? null
}

function dateOf(n: Node): string | null {
  if (n.t !== 'call' || n.name !== 'DATE' || n.args.length !== 3 || n.args.some((a) => a.t !== 'num')) return null
  const [y, m, d] = n.args.map((a) => (a as { v: number }).v)
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

function cond(n: Node, fields: Field[]): Cond | null {
  const make = (f: Field | null, op: string, value: unknown = null): Cond | null => {
    const fam = f && familyOf(f)
    return fam && OPS[fam].includes(op) ? { kind: 'cond', field: f!.key, op, value } : null
  }
  if (n.t === 'call' && n.args.length === 1 && n.name === 'ISBLANK') return make(fieldKey(n.args[0], fields), 'is_empty')
  if (n.t === 'call' && n.name === 'NOT' && n.args.length === 1) {
    const inner = n.args[0]
    if (inner.t === 'call' && inner.name === 'ISBLANK' && inner.args.length === 1) return make(fieldKey(inner.args[0], fields), 'is_not_empty')
    if (inner.t === 'call' && inner.name === 'CONTAINS' && inner.args.length === 2 && inner.args[1].t === 'str')
      return make(fieldKey(inner.args[0], fields), 'not_contains', inner.args[1].v)
    return null
  }
  if (n.t === 'call' && n.name === 'CONTAINS' && n.args.length === 2 && n.args[1].t === 'str')
    return make(fieldKey(n.args[0], fields), 'contains', n.args[1].v)
  if (n.t !== 'cmp') return null
  const f = fieldKey(n.a, fields)
  const fam = f && familyOf(f)
  if (!f || !fam) return null
  const op = COMPARE_BACK[n.op]
  const b = n.b
  if (b.t === 'call' && b.args.length === 0 && (b.name === 'TRUE' || b.name === 'FALSE') && op === 'eq')
    return make(f, b.name === 'TRUE' ? 'is_true' : 'is_false')
  if (b.t === 'call' && b.name === 'TODAY' && b.args.length === 0 && (op === 'lt' || op === 'gt'))
    return make(f, op === 'lt' ? 'before_today' : 'after_today')
  if (fam === 'number' && b.t === 'num') return make(f, op, b.v)
  if (fam === 'text' && b.t === 'str') return make(f, op, b.v)
  if (fam === 'date') {
    const d = dateOf(b)
    return d ? make(f, op, d) : null
  }
  return null
}

function group(n: Node, fields: Field[], depth: number): CondGroup | null {
  if (n.t === 'call' && (n.name === 'AND' || n.name === 'OR') && n.args.length >= 1) {
    const items: (Cond | CondGroup)[] = []
    for (const a of n.args) {
      const nested = a.t === 'call' && (a.name === 'AND' || a.name === 'OR')
      const it = nested ? (depth < 1 ? group(a, fields, depth + 1) : null) : cond(a, fields)
      if (!it) return null
      items.push(it)
    }
    return { kind: n.name === 'AND' ? 'and' : 'or', items }
  }
  const c = cond(n, fields)
  return c ? { kind: 'and', items: [c] } : null
}

/** The model of ``formula`` when the builder can show it; an empty group for no condition;
 * null when it stays a formula. */
export function parseCondition(formula: string | null | undefined, fields: Field[]): CondGroup | null {
  if (!formula || !formula.trim()) return emptyGroup()
  const n = parse(formula)
  return n ? group(n, fields, 0) : null
}
