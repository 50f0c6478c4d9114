// A form's linkage rules, live: which fields show, which are required or read-only, what the
// rules set or clear, which options a choice keeps, as the user types. The algorithm is the
// server's (src/cairn/meta/form_runtime.py), which enforces the same rules on save:
//
// 1. The rules run in order over the values (as the API shows them). A rule holds when its
//    condition is TRUE; while it holds its `set` and `clear` actions change values, in order.
// 2. Over the rules that hold: a field (section) some rule shows is hidden unless such a rule
//    holds; one a holding rule hides is hidden; a field in a hidden section is hidden; require
//    and readonly name the first holding rule (a hidden field is never required); options of
//    several rules keep what they all allow.
//
// Each keystroke re-runs only the rules whose inputs changed (their conditions and set values
// are compiled once), so a 60-field form with 40 rules stays well under 5 ms.

import { compile, type Compiled, type Node } from './evaluate'
import type { Env } from './functions'
import {
  asDate,
  asDateTime,
  clock,
  DateTimeV,
  DateV,
  DAY,
  EPOCH_ORD,
  ErrV,
  isoDate,
  makeDate,
  MAX_EPOCH,
  MIN_EPOCH,
  roundNumber,
  textNumber,
  toText,
  ymd,
  type Value,
} from './values'

export interface ActionJSON {
  type: 'show' | 'hide' | 'require' | 'readonly' | 'clear' | 'set' | 'options'
  fields?: string[]
  sections?: string[]
  field?: string
  family?: string
  places?: number | null
  value?: Node | null
  options?: string[]
}

export interface RuleJSON {
  name: string
  when: Node | null
  inputs: string[]
  volatile: boolean
  actions: ActionJSON[]
}

export interface LinkageJSON {
  rules: RuleJSON[]
  kinds: Record<string, string>
  show_fields: string[]
  show_sections: string[]
  sections: Record<string, string[]>
}

export interface EnvJSON {
  today: string
  now: string
  utc_offset: number
  user_id: number | null
  department: string | null
}

export interface FormState {
  values: Record<string, unknown>
  /** Fields a rule set or cleared → that rule's name. */
  setBy: Record<string, string>
  hidden: Set<string>
  hiddenSections: Set<string>
  required: Record<string, string>
  readonly: Record<string, string>
  options: Record<string, { allowed: string[]; rule: string }>
  active: boolean[]
}

const DATE_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})/
const DATETIME_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$/

/** The env the server sent: today and now (local), the zone's offset, the user. */
export function envOf(json: EnvJSON): Env {
  const [y, m, d] = json.today.split('-').map(Number)
  const now = DATETIME_RE.exec(json.now)!
  const ord = makeDate(Number(now[1]), Number(now[2]), Number(now[3]))!
  const secs = (ord - EPOCH_ORD) * DAY + Number(now[4]) * 3600 + Number(now[5]) * 60 + Number(now[6] ?? 0)
  return {
    today: new DateV(makeDate(y, m, d)!),
    now: new DateTimeV(secs),
    utcOffset: json.utc_offset,
    userId: json.user_id,
    department: json.department,
  }
}

/** ISO 8601 (an offset or Z; none: local) → whole seconds since 1970 in UTC, or null. */
export function parseDateTime(text: string, utcOffset: number): DateTimeV | null {
  const m = DATETIME_RE.exec(text)
  if (!m) return null
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]))
  const sec = Number(m[6] ?? 0)
  const ord = makeDate(y, mo, d)
  if (ord === null || h > 23 || mi > 59 || sec > 59) return null
  const zone = m[7]
  let offset = utcOffset
  if (zone === 'Z') offset = 0
  else if (zone) {
    const digits = zone.slice(1).replace(':', '')
    offset = (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60) * (zone[0] === '+' ? 1 : -1)
  }
  const utc = (ord - EPOCH_ORD) * DAY + h * 3600 + mi * 60 + sec - offset
  // Read back in local time, it must still be a date (as the server's evaluator shifts it).
  if (utc < MIN_EPOCH || utc > MAX_EPOCH || utc + utcOffset < MIN_EPOCH || utc + utcOffset > MAX_EPOCH) return null
  return new DateTimeV(utc)
}

/** A value as the API shows it → as a formula reads a stored one (what does not parse: blank). */
export function formulaValue(family: string, v: unknown, utcOffset: number): Value {
  if (v === null || v === undefined) return null
  switch (family) {
    case 'number':
      if (typeof v === 'number') return v
      if (typeof v === 'string') {
        const got = textNumber(v)
        return got instanceof ErrV ? null : got
      }
      return null
    case 'text':
    case 'choice':
      return typeof v === 'string' ? v : null
    case 'boolean':
      return typeof v === 'boolean' ? v : null
    case 'date': {
      const m = typeof v === 'string' ? DATE_RE.exec(v) : null
      const ord = m ? makeDate(Number(m[1]), Number(m[2]), Number(m[3])) : null
      return ord === null ? null : new DateV(ord)
    }
    case 'datetime':
      return typeof v === 'string' ? parseDateTime(v, utcOffset) : null
    default:
      return null
  }
}

const pad2 = (n: number): string => String(n).padStart(2, '0')

/** A formula's value as the API takes it for the field a `set` fills (an error: blank). */
export function inputValue(action: ActionJSON, value: Value, env: Env): unknown {
  if (value === null || value instanceof ErrV) return null
  const family = action.family
  if (family === 'text' || family === 'choice') return typeof value === 'string' ? value : toText(value)
  if (family === 'number' || family === 'user') {
    let x = typeof value === 'boolean' ? (value ? 1 : 0) : (value as number)
    if (family === 'number' && action.places !== null && action.places !== undefined) x = roundNumber(x, action.places, 'half')
    if (family === 'user') return Number.isInteger(x) && x > 0 && x < 2 ** 53 ? x : null
    return x
  }
  if (family === 'boolean') return Boolean(value)
  if (family === 'date') return isoDate(asDate(value as DateV))
  if (family === 'datetime') {
    const t = asDateTime(value as DateV)
    const [y, m, d] = ymd(asDate(t).ord)
    const [h, mi, s] = clock(t)
    const off = Math.abs(env.utcOffset)
    const zone = `${env.utcOffset >= 0 ? '+' : '-'}${pad2(Math.floor(off / 3600))}:${pad2(Math.floor((off % 3600) / 60))}`
    return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}${zone}`
  }
  return null
}

const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

interface Compiled_ {
  json: RuleJSON
  when: Compiled | null
  sets: (ActionJSON & { compiled?: Compiled | null })[]
}

interface Memo {
  inputs: unknown[]
  active: boolean
  sets: [string, unknown][]
}

/** A form's rules compiled once; ``run`` gives the state for the values typed so far. */
export class Linkage {
  readonly rules: Compiled_[]
  private memo: (Memo | null)[]
  /** How many rules the last run evaluated (the others were unchanged). */
  evaluated = 0

  constructor(
    readonly json: LinkageJSON,
    readonly env: Env,
  ) {
    this.rules = json.rules.map((r) => ({
      json: r,
      when: safeCompile(r.when),
      sets: r.actions.map((a) => ({ ...a, compiled: a.type === 'set' ? safeCompile(a.value ?? null) : null })),
    }))
    this.memo = this.rules.map(() => null)
  }

  get empty(): boolean {
    return !this.rules.length
  }

  run(input: Record<string, unknown>): FormState {
    const kinds = this.json.kinds
    const env = this.env
    const values: Record<string, unknown> = { ...input }
    const conv = new Map<string, Value>()
    const rec = (key: string): Value => {
      if (!conv.has(key)) conv.set(key, formulaValue(kinds[key] ?? 'text', values[key], env.utcOffset))
      return conv.get(key)!
    }
    const setBy: Record<string, string> = {}
    const active: boolean[] = []
    this.evaluated = 0
    this.rules.forEach((rule, i) => {
      const inputs = rule.json.inputs.map((k) => values[k])
      const memo = this.memo[i]
      let outcome: Memo
      if (memo && !rule.json.volatile && memo.inputs.every((v, j) => same(v, inputs[j]))) {
        outcome = memo
      } else {
        this.evaluated++
        outcome = { inputs, active: false, sets: [] }
        outcome.active = rule.when !== null && rule.when(rec, env) === true
        if (outcome.active) {
          // Sets apply in order, so a later set of the same rule sees an earlier one.
          for (const a of rule.sets) {
            if (a.type === 'set' && a.field && a.compiled) {
              const v = inputValue(a, a.compiled(rec, env), env)
              values[a.field] = v
              conv.delete(a.field)
              outcome.sets.push([a.field, v])
            } else if (a.type === 'clear') {
              for (const k of a.fields ?? []) {
                values[k] = null
                conv.delete(k)
                outcome.sets.push([k, null])
              }
            }
          }
        }
        this.memo[i] = outcome
      }
      active.push(outcome.active)
      if (outcome.active) {
        for (const [k, v] of outcome.sets) {
          values[k] = v
          conv.delete(k)
          setBy[k] = rule.json.name
        }
      }
    })
    return this.state(active, values, setBy)
  }

  private state(active: boolean[], values: Record<string, unknown>, setBy: Record<string, string>): FormState {
    const shownF = new Set<string>()
    const shownS = new Set<string>()
    const hideF = new Set<string>()
    const hideS = new Set<string>()
    const required: Record<string, string> = {}
    const readonly: Record<string, string> = {}
    const options: Record<string, { allowed: string[]; rule: string }> = {}
    this.rules.forEach((rule, i) => {
      if (!active[i]) return
      const name = rule.json.name
      for (const a of rule.json.actions) {
        if (a.type === 'show') {
          a.fields?.forEach((k) => shownF.add(k))
          a.sections?.forEach((k) => shownS.add(k))
        } else if (a.type === 'hide') {
          a.fields?.forEach((k) => hideF.add(k))
          a.sections?.forEach((k) => hideS.add(k))
        } else if (a.type === 'require') {
          a.fields?.forEach((k) => (required[k] ??= name))
        } else if (a.type === 'readonly') {
          a.fields?.forEach((k) => (readonly[k] ??= name))
        } else if (a.type === 'options' && a.field) {
          const got = options[a.field]
          const allowed = a.options ?? []
          options[a.field] = got ? { allowed: got.allowed.filter((x) => allowed.includes(x)), rule: got.rule } : { allowed: [...allowed], rule: name }
        }
      }
    })
    const hiddenSections = new Set<string>([...this.json.show_sections.filter((k) => !shownS.has(k)), ...hideS])
    const hidden = new Set<string>([...this.json.show_fields.filter((k) => !shownF.has(k)), ...hideF])
    for (const sec of hiddenSections) for (const k of this.json.sections[sec] ?? []) hidden.add(k)
    for (const k of Object.keys(required)) if (hidden.has(k)) delete required[k]
    return { values, setBy, hidden, hiddenSections, required, readonly, options, active }
  }
}

function safeCompile(node: Node | null): Compiled | null {
  if (!node) return null
  try {
    return compile(node)
  } catch {
    return null // a function this browser does not know: the rule never holds
  }
}
