// Runs the browser's formula evaluator and linkage rules in node, for the Python tests and the
// bench: one JSON request per line on stdin, one JSON answer per line on stdout
// (bench/node_formula.py bundles this file with web/src/formula).
import * as readline from 'node:readline'
import { compile, FUNCTION_KEYS, envOf, formulaValue, Linkage, type EnvJSON, type LinkageJSON, type Node } from '../web/src/formula'
import { DateTimeV, DateV, ErrV, type Value } from '../web/src/formula/values'
import { keystrokes, stateJSON } from './linkage_timing'

function encode(v: Value): unknown {
  if (v instanceof ErrV) return { err: v.code }
  if (v instanceof DateV) return { date: v.ord }
  if (v instanceof DateTimeV) return { dt: v.s }
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { n: 'NaN' }
    if (!Number.isFinite(v)) return { n: v > 0 ? 'Infinity' : '-Infinity' }
    return { n: v }
  }
  return v
}

interface Request {
  op: 'keys' | 'eval' | 'linkage' | 'keystrokes'
  tree?: Node
  env?: EnvJSON
  kinds?: Record<string, string>
  records?: Record<string, unknown>[]
  record?: Record<string, unknown>
  linkage?: LinkageJSON
  keystrokes?: number
}

function handle(req: Request): unknown {
  if (req.op === 'keys') return FUNCTION_KEYS
  const env = envOf(req.env!)
  if (req.op === 'eval') {
    const f = compile(req.tree!)
    const kinds = req.kinds!
    return req.records!.map((r) => encode(f((k) => formulaValue(kinds[k] ?? 'text', r[k], env.utcOffset), env)))
  }
  if (req.op === 'keystrokes') {
    return keystrokes({ linkage: req.linkage!, env: req.env!, kinds: req.kinds!, record: req.record!, keystrokes: req.keystrokes! })
  }
  const form = new Linkage(req.linkage!, env)
  return req.records!.map((r) => stateJSON(form.run(r)))
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  let out: unknown
  try {
    out = { ok: handle(JSON.parse(line)) }
  } catch (e) {
    out = { error: String((e as Error)?.stack ?? e) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
})
