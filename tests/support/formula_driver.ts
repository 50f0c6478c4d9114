// Runs the browser's formula evaluator and linkage rules for the Python tests: one JSON
// request per line on stdin, one JSON answer per line on stdout (tests/support/browser_formula.py
// bundles this file with web/src/formula).
import * as readline from 'node:readline'
import { compile, FUNCTION_KEYS, envOf, formulaValue, Linkage, type EnvJSON, type LinkageJSON, type Node } from '../../web/src/formula'
import { DateTimeV, DateV, ErrV, type Value } from '../../web/src/formula/values'

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
  op: 'keys' | 'eval' | 'linkage' | 'time'
  tree?: Node
  env?: EnvJSON
  kinds?: Record<string, string>
  records?: Record<string, unknown>[]
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
  const form = new Linkage(req.linkage!, env)
  if (req.op === 'linkage') {
    return req.records!.map((r) => {
      const s = form.run(r)
      return {
        values: s.values,
        set_by: s.setBy,
        hidden: [...s.hidden].sort(),
        hidden_sections: [...s.hiddenSections].sort(),
        required: s.required,
        readonly: s.readonly,
        options: Object.fromEntries(Object.entries(s.options).map(([k, o]) => [k, [o.allowed, o.rule]])),
        active: s.active,
      }
    })
  }
  // 'time': one run per keystroke, each changing one field of the record (ms per run)
  const values: Record<string, unknown> = { ...req.records![0] }
  const keys = Object.keys(req.kinds!)
  form.run(values)
  const times: number[] = []
  let evaluated = 0
  for (let i = 0; i < req.keystrokes!; i++) {
    const k = keys[i % keys.length]
    const v = values[k]
    values[k] = typeof v === 'number' ? v + 1 : typeof v === 'string' ? v + 'x' : v
    const t0 = performance.now()
    form.run(values)
    times.push(performance.now() - t0)
    evaluated += form.evaluated
  }
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)], max: times[times.length - 1], evaluated: evaluated / req.keystrokes! }
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
