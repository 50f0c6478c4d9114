// The browser's formula evaluator: the typed syntax tree the server sends (JSON, see
// cairn.formula.forms.to_json) compiled once into closures, then run over a record's values.
// Same rules as the server's Python back end (src/cairn/formula/evaluate.py).

import { FUNCTIONS, type Env } from './functions'
import { convert, DateTimeV, ErrV, type Value } from './values'

export type Node =
  | { lit: number | string | boolean | null; t: string }
  | { ref: string; t: string }
  | { fn: string; t: string; cv: string[]; args: Node[] }

/** A record's values as a formula reads stored values (a date and time in UTC). */
export type Rec = (key: string) => Value
export type Compiled = (rec: Rec, env: Env) => Value

/** The keys of the functions a tree calls. */
export function functionsOf(node: Node, out: Set<string> = new Set()): Set<string> {
  if ('fn' in node) {
    out.add(node.fn)
    node.args.forEach((a) => functionsOf(a, out))
  }
  return out
}

/** The tree as a function of (record, env); throws on a function this evaluator lacks. */
export function compile(node: Node): Compiled {
  if ('ref' in node) {
    const key = node.ref
    if (node.t === 'datetime') {
      return (rec, env) => {
        const v = rec(key)
        return v instanceof DateTimeV ? new DateTimeV(v.s + env.utcOffset) : v
      }
    }
    return (rec) => rec(key)
  }
  if ('lit' in node) {
    const v = node.lit
    return () => v
  }
  const impl = FUNCTIONS[node.fn]
  if (!impl) throw new Error(`no function ${node.fn} in the browser`)
  const types = node.args.map((a) => a.t)
  const args = node.args.map(compile)
  if (impl.lazy) {
    const call = impl.call
    return (rec, env) =>
      call(
        args.map((a) => () => a(rec, env)),
        env,
        types,
      )
  }
  const kinds = node.cv
  const call = impl.call
  return (rec, env) => {
    const values: Value[] = []
    for (let i = 0; i < args.length; i++) {
      let v = args[i](rec, env)
      if (v instanceof ErrV) return v
      const kind = kinds[i]
      if (kind !== 'any' && kind !== 'literal') {
        v = convert(v, kind)
        if (v instanceof ErrV) return v
      }
      values.push(v)
    }
    return call(values, env, types)
  }
}
