// The functions the browser evaluates, one entry per key: exactly the server's list
// (cairn.formula.forms.BROWSER_FUNCTIONS; tests/formula/test_browser_eval.py checks both
// lists, and runs random formulas through this evaluator and the Python one).
//
// A plain function receives its arguments converted to its parameter kinds (errors already
// propagated); a lazy one (IF, IFERROR …) receives thunks and decides which errors count.
// ``types`` are the arguments' types (kinds), as the server's type checker found them.

import {
  asDate,
  asDateTime,
  clampInt,
  clock,
  compareText,
  convert,
  DAY,
  DateTimeV,
  DateV,
  daysInMonth,
  DIV0,
  EPOCH_ORD,
  ErrV,
  epochSeconds,
  fold,
  MAX_EPOCH,
  MIN_EPOCH,
  DATE_MAX_ORD,
  NUM,
  ordinal,
  pyBool,
  pyNumber,
  roundNumber,
  textNumber,
  trimSpaces,
  upper,
  VALUE,
  ymd,
  type Value,
} from './values'

export interface Env {
  today: DateV
  now: DateTimeV
  utcOffset: number
  userId: number | null
  department: string | null
}

export type Thunk = () => Value
export interface Plain {
  lazy?: false
  call: (args: Value[], env: Env, types: string[]) => Value
}
export interface Lazy {
  lazy: true
  call: (args: Thunk[], env: Env, types: string[]) => Value
}
export type Impl = Plain | Lazy

const LN_HUGE = Math.log(1e300)
const LN_TINY = -700
const MAX_COUNT = 1_000_000
const MAX_MONTH = 9999 * 12 + 11
const MIN_MONTH = 12

const n = (v: Value): number => v as number
const s = (v: Value): string => v as string
const chars = (t: string): string[] => [...t]

// -- shared number rules (operators.py) -----------------------------------------------------
function mul(a: number, b: number): Value {
  if (a === 0 || b === 0) return 0
  const ls = Math.log(Math.abs(a)) + Math.log(Math.abs(b))
  if (ls > LN_HUGE) return NUM
  if (ls < LN_TINY) return 0
  return a * b
}

function div(a: number, b: number): Value {
  if (b === 0) return DIV0
  if (a === 0) return 0
  const ls = Math.log(Math.abs(a)) - Math.log(Math.abs(b))
  if (ls > LN_HUGE) return NUM
  if (ls < LN_TINY) return 0
  return a / b
}

function power(a: number, b: number): Value {
  if (a === 0) {
    if (b === 0) return NUM
    return b < 0 ? DIV0 : 0
  }
  if (a < 0 && b !== Math.trunc(b)) return NUM
  const lp = b * Math.log(Math.abs(a))
  if (lp > LN_HUGE) return NUM
  if (lp < LN_TINY) return 0
  return Math.pow(a, b)
}

function addSeconds(t: DateV | DateTimeV, seconds: number): Value {
  const secs = clampInt(seconds, -1e12, 1e12)
  const total = epochSeconds(t) + secs
  if (total < MIN_EPOCH || total > MAX_EPOCH) return NUM
  return new DateTimeV(total)
}

function datePlus(d: DateV, days: number): Value {
  const k = Math.floor(Math.max(-1e8, Math.min(1e8, days)))
  const day = d.ord - 1 + k
  if (day < 0 || day > DATE_MAX_ORD - 1) return NUM
  return new DateV(day + 1)
}

const family = (t: string): string => (t === 'date' || t === 'datetime' ? 'time' : t === 'duration' ? 'duration' : 'number')

function arithmeticMode(op: string, types: string[]): string {
  const a = family(types[0])
  const b = family(types[1])
  if (a === 'number' && b === 'number') return 'num'
  if (a === 'duration' && b === 'duration') return 'dur'
  if (op === '+' && a === 'number' && b === 'time') return 'num+time'
  if (a === 'time' && b === 'number') return 'time±num'
  if (a === 'time' && b === 'duration') return 'time±dur'
  if (op === '+' && a === 'duration' && b === 'time') return 'dur+time'
  if (op === '-' && a === 'time' && b === 'time') return 'time-time'
  if ((a === 'duration' || b === 'duration') && (a === 'number' || b === 'number')) return 'num'
  return ''
}

function plusMinus(op: string, args: Value[], types: string[]): Value {
  const mode = arithmeticMode(op, types)
  let [a, b] = args
  let ta = types[0]
  const sign = op === '+' ? 1 : -1
  if (mode === 'num' || mode === 'dur') {
    const x = pyNumber(a)
    const y = pyNumber(b)
    if (x instanceof ErrV) return x
    if (y instanceof ErrV) return y
    return (x as number) + sign * (y as number)
  }
  if (mode === 'num+time') {
    ;[a, b] = [b, a]
    ta = types[1]
  }
  if (mode === 'num+time' || mode === 'time±num') {
    if (a === null) return null
    const k = pyNumber(b)
    if (k instanceof ErrV) return k
    if (ta === 'date') return datePlus(a as DateV, sign * (k as number))
    return addSeconds(a as DateTimeV, sign * (k as number) * DAY)
  }
  if (mode === 'time±dur' || mode === 'dur+time') {
    if (mode === 'dur+time') [a, b] = [b, a]
    if (a === null) return null
    return addSeconds(a as DateV | DateTimeV, sign * ((b as number | null) || 0))
  }
  if (a === null || b === null) return null
  if (types[0] === 'date' && types[1] === 'date') return (a as DateV).ord - (b as DateV).ord
  return epochSeconds(a as DateV) - epochSeconds(b as DateV)
}

// -- comparison -------------------------------------------------------------------------------
const compareFamily = (t: string): string =>
  t === 'number' || t === 'boolean' || t === 'duration' ? 'number' : t === 'date' || t === 'datetime' ? 'time' : t

const LOW = (1 - EPOCH_ORD) * DAY

/** [x, y] compared as numbers, texts (case of A-Z folded, by code point) or moments; or an error. */
function compareOperands(a: Value, b: Value, types: string[]): [number, number] | ErrV {
  const fams = new Set(types.map(compareFamily))
  fams.delete('blank')
  const fam = fams.size ? [...fams][0] : 'number'
  if (fam === 'number') {
    const x = pyNumber(a)
    const y = pyNumber(b)
    if (x instanceof ErrV) return x
    if (y instanceof ErrV) return y
    return [x as number, y as number]
  }
  if (fam === 'text') {
    const c = compareText(fold(convert(a, 'text') as string), fold(convert(b, 'text') as string))
    return [c, 0]
  }
  const x = a === null ? LOW : asDateTime(a as DateV).s
  const y = b === null ? LOW : asDateTime(b as DateV).s
  return [x, y]
}

function comparison(test: (x: number, y: number) => boolean): Plain {
  return {
    call: (args, _env, types) => {
      const got = compareOperands(args[0], args[1], types)
      return got instanceof ErrV ? got : test(got[0], got[1])
    },
  }
}

const eq = (a: Value, b: Value, types: string[]): Value => {
  const got = compareOperands(a, b, types)
  return got instanceof ErrV ? got : got[0] === got[1]
}

// -- branches (logic.py) ----------------------------------------------------------------------
/** If.result_of: the kind branches are converted to. */
function resultOf(types: string[]): string {
  let found = 'blank'
  for (const t of types.slice(1)) {
    if (t !== 'blank' && (found === 'blank' || found === 'date' || found === 'boolean')) {
      if (found === 'boolean' && t !== 'number') continue
      found = t
    }
  }
  return found
}

const to = (result: string): string => (result === 'datetime' ? 'datetime?' : result === 'number' ? 'number?' : 'any')
const branch = (thunk: Thunk, result: string): Value => convert(thunk(), to(result))
const cond = (v: Value): Value => (v instanceof ErrV ? v : pyBool(v))

const IF: Lazy = {
  lazy: true,
  call: (args, _env, types) => {
    const result = resultOf(types)
    const c = cond(args[0]())
    if (c instanceof ErrV) return c
    if (c) return branch(args[1], result)
    return args.length > 2 ? branch(args[2], result) : null
  },
}

const IFS: Lazy = {
  lazy: true,
  call: (args, _env, types) => {
    const result = resultOf(['blank', ...types.filter((_, i) => i % 2 === 1)])
    for (let i = 0; i < args.length; i += 2) {
      const c = cond(args[i]())
      if (c instanceof ErrV) return c
      if (c) return branch(args[i + 1], result)
    }
    return null
  },
}

const SWITCH: Lazy = {
  lazy: true,
  call: (args, _env, types) => {
    const k = args.length
    const results: string[] = []
    for (let i = 2; i < k; i += 2) results.push(types[i])
    if (k % 2 === 0) results.push(types[k - 1])
    const result = resultOf(['blank', ...results])
    const subject = args[0]()
    if (subject instanceof ErrV) return subject
    const pairs = k % 2 === 0 ? k - 1 : k
    for (let i = 1; i < pairs; i += 2) {
      const candidate = args[i]()
      if (candidate instanceof ErrV) return candidate
      const same = eq(subject, candidate, [types[0], types[i]])
      if (same instanceof ErrV) return same
      if (same) return branch(args[i + 1], result)
    }
    return k % 2 === 0 ? branch(args[k - 1], result) : null
  },
}

const orBlank: Lazy = {
  lazy: true,
  call: (args, _env, types) => {
    const result = resultOf(['blank', ...types])
    const v = args[0]()
    if (v instanceof ErrV) return v
    if (v === null || v === '') return branch(args[1], result)
    return convert(v, to(result))
  },
}

const orError: Lazy = {
  lazy: true,
  call: (args, _env, types) => {
    const result = resultOf(['blank', ...types])
    const v = args[0]()
    if (v instanceof ErrV) return branch(args[1], result)
    return convert(v, to(result))
  },
}

// -- dates (dates.py) --------------------------------------------------------------------------
function addMonths(v: DateV | DateTimeV, months: number): Value {
  const [y, m, d] = ymd(asDate(v).ord)
  const total = y * 12 + m - 1 + months
  const year = Math.floor(total / 12)
  const month0 = total - year * 12
  if (year < 1 || year > 9999) return NUM
  const day = Math.min(d, daysInMonth(year, month0 + 1))
  const ord = ordinal(year, month0 + 1, day)
  if (!(v instanceof DateTimeV)) return new DateV(ord)
  const sec = v.s - Math.floor(v.s / DAY) * DAY
  return new DateTimeV((ord - EPOCH_ORD) * DAY + sec)
}

function makeDate(y: number, m: number, d: number): Value {
  const yi = clampInt(y, -1e6, 1e6)
  const mi = clampInt(m, -1e7, 1e7)
  const di = clampInt(d, -1e8, 1e8)
  const total = yi * 12 + mi - 1
  if (total < MIN_MONTH || total > MAX_MONTH) return NUM
  const year = Math.floor(total / 12)
  const m0 = total - year * 12
  return datePlus(new DateV(ordinal(year, m0 + 1, 1)), di - 1)
}

function datedif(a: DateV, b: DateV, unit: string): Value {
  if (a.ord > b.ord) return NUM
  if (unit === 'd') return b.ord - a.ord
  const [sy, sm, sd] = ymd(a.ord)
  const [ey, em, ed] = ymd(b.ord)
  const months = ey * 12 + em - (sy * 12 + sm) - (ed < sd ? 1 : 0)
  if (unit === 'm') return months
  if (unit === 'y') return Math.floor(months / 12)
  if (unit === 'ym') return months % 12
  const back = unit === 'md' ? months : 12 * Math.floor(months / 12)
  return b.ord - (addMonths(a, back) as DateV).ord
}

const UNITS: Record<string, string> = {
  year: 'year', years: 'year', y: 'year', 年: 'year',
  month: 'month', months: 'month', m: 'month', 月: 'month',
  week: 'week', weeks: 'week', w: 'week', 周: 'week',
  day: 'day', days: 'day', d: 'day', 日: 'day', 天: 'day',
  hour: 'hour', hours: 'hour', h: 'hour', 小时: 'hour',
  minute: 'minute', minutes: 'minute', mi: 'minute', 分钟: 'minute',
  second: 'second', seconds: 'second', s: 'second', 秒: 'second',
}
const SECONDS: Record<string, number> = { hour: 3600, minute: 60, second: 1 }

function dateAdd(v: Value, count0: number, unitText: string): Value {
  const unit = UNITS[unitText.trim().toLowerCase()]
  if (v === null) return null
  const t = v as DateV | DateTimeV
  const count = clampInt(count0, -1e8, 1e8)
  if (unit === 'year' || unit === 'month') return addMonths(t, count * (unit === 'year' ? 12 : 1))
  if (unit === 'week' || unit === 'day') {
    const days = count * (unit === 'week' ? 7 : 1)
    return t instanceof DateTimeV ? addSeconds(t, days * DAY) : datePlus(t, days)
  }
  return addSeconds(asDateTime(t), count * SECONDS[unit])
}

function part(pick: (v: DateV | DateTimeV) => number): Plain {
  return { call: (args) => (args[0] === null ? null : pick(args[0] as DateV | DateTimeV)) }
}

// -- text (text.py) ------------------------------------------------------------------------------
const count = (x: number): number => clampInt(x, -1, MAX_COUNT)

function find(what: string, within: string, start: number): Value {
  const w = chars(within)
  if (start < 1 || start > w.length + 1) return VALUE
  const offset = w.slice(0, start - 1).join('').length
  const pos = within.indexOf(what, offset)
  return pos < 0 ? VALUE : chars(within.slice(0, pos)).length + 1
}

function pickMin(values: number[], less: (a: number, b: number) => boolean): number {
  let best = values[0]
  for (const v of values.slice(1)) if (less(v, best)) best = v
  return best
}

// -- the table ---------------------------------------------------------------------------------
const plain = (call: Plain['call']): Plain => ({ call })

export const FUNCTIONS: Record<string, Impl> = {
  // operators
  '+': plain((a, _e, t) => plusMinus('+', a, t)),
  '-': plain((a, _e, t) => plusMinus('-', a, t)),
  '*': plain((a) => mul(n(a[0]), n(a[1]))),
  '/': plain((a) => div(n(a[0]), n(a[1]))),
  '^': plain((a) => power(n(a[0]), n(a[1]))),
  NEG: plain((a) => (n(a[0]) !== 0 ? -n(a[0]) : 0)),
  POS: plain((a) => a[0]),
  '&': plain((a) => s(a[0]) + s(a[1])),
  '=': comparison((x, y) => x === y),
  '<>': comparison((x, y) => x !== y),
  '<': comparison((x, y) => x < y),
  '<=': comparison((x, y) => x <= y),
  '>': comparison((x, y) => x > y),
  '>=': comparison((x, y) => x >= y),
  // logic
  IF,
  IFS,
  SWITCH,
  AND: plain((a) => a.every((x) => x === true)),
  OR: plain((a) => a.some((x) => x === true)),
  NOT: plain((a) => !a[0]),
  ISBLANK: plain((a) => a[0] === null || a[0] === ''),
  BLANKVALUE: orBlank,
  BLANK: plain(() => null),
  TRUE: plain(() => true),
  FALSE: plain(() => false),
  IFERROR: orError,
  ISERROR: { lazy: true, call: (a) => a[0]() instanceof ErrV },
  // text
  CONCAT: plain((a) => a.map(s).join('')),
  LEFT: plain((a) => {
    const k = a.length > 1 ? count(n(a[1])) : 1
    return k < 0 ? VALUE : chars(s(a[0])).slice(0, k).join('')
  }),
  RIGHT: plain((a) => {
    const k = a.length > 1 ? count(n(a[1])) : 1
    if (k < 0) return VALUE
    return k ? chars(s(a[0])).slice(-k).join('') : ''
  }),
  MID: plain((a) => {
    const start = clampInt(n(a[1]), 0, MAX_COUNT + 1)
    const k = count(n(a[2]))
    if (start < 1 || k < 0) return VALUE
    return chars(s(a[0])).slice(start - 1, start - 1 + k).join('')
  }),
  LEN: plain((a) => chars(s(a[0])).length),
  UPPER: plain((a) => upper(s(a[0]))),
  LOWER: plain((a) => fold(s(a[0]))),
  TRIM: plain((a) => trimSpaces(s(a[0]))),
  SUBSTITUTE: plain((a) => (s(a[1]) === '' ? s(a[0]) : s(a[0]).split(s(a[1])).join(s(a[2])))),
  FIND: plain((a) => find(s(a[0]), s(a[1]), a.length > 2 ? clampInt(n(a[2]), 0, MAX_COUNT + 1) : 1)),
  CONTAINS: plain((a) => s(a[0]).includes(s(a[1]))),
  VALUE: plain((a) => (s(a[0]) !== '' ? textNumber(s(a[0])) : VALUE)),
  // math
  SUM: plain((a) => {
    let total = 0
    for (const x of a) if (x !== null) total += n(x)
    return total
  }),
  AVERAGE: plain((a) => {
    const present = a.filter((x) => x !== null).map(n)
    if (!present.length) return DIV0
    let total = 0
    for (const x of present) total += x
    return total / present.length
  }),
  MIN: plain((a) => {
    const present = a.filter((x) => x !== null).map(n)
    return present.length ? pickMin(present, (x, y) => x < y) : 0
  }),
  MAX: plain((a) => {
    const present = a.filter((x) => x !== null).map(n)
    return present.length ? pickMin(present, (x, y) => x > y) : 0
  }),
  ROUND: plain((a) => roundNumber(n(a[0]), a.length > 1 ? n(a[1]) : 0, 'half')),
  ROUNDUP: plain((a) => roundNumber(n(a[0]), a.length > 1 ? n(a[1]) : 0, 'up')),
  ROUNDDOWN: plain((a) => roundNumber(n(a[0]), a.length > 1 ? n(a[1]) : 0, 'down')),
  INT: plain((a) => Math.floor(n(a[0]))),
  ABS: plain((a) => Math.abs(n(a[0]))),
  MOD: plain((a) => {
    const q = div(n(a[0]), n(a[1]))
    if (q instanceof ErrV) return q
    const p = mul(n(a[1]), Math.floor(n(q)))
    if (p instanceof ErrV) return p
    return n(a[0]) - n(p)
  }),
  POWER: plain((a) => power(n(a[0]), n(a[1]))),
  SQRT: plain((a) => (n(a[0]) < 0 ? NUM : Math.sqrt(n(a[0])))),
  // dates
  TODAY: plain((_a, env) => env.today),
  NOW: plain((_a, env) => env.now),
  DATE: plain((a) => makeDate(n(a[0]), n(a[1]), n(a[2]))),
  YEAR: part((v) => ymd(asDate(v).ord)[0]),
  MONTH: part((v) => ymd(asDate(v).ord)[1]),
  DAY: part((v) => ymd(asDate(v).ord)[2]),
  HOUR: part((v) => clock(asDateTime(v))[0]),
  MINUTE: part((v) => clock(asDateTime(v))[1]),
  SECOND: part((v) => clock(asDateTime(v))[2]),
  WEEKDAY: plain((a) => {
    const kind = a.length > 1 ? clampInt(n(a[1]), 0, 4) : 1
    if (kind !== 1 && kind !== 2 && kind !== 3) return NUM
    if (a[0] === null) return null
    const dow = ((a[0] as DateV).ord % 7 + 7) % 7 // Sunday 0 (ordinal 1 is a Monday)
    return kind === 1 ? dow + 1 : kind === 2 ? ((dow + 6) % 7) + 1 : (dow + 6) % 7
  }),
  DATEADD: plain((a) => dateAdd(a[0], n(a[1]), s(a[2]))),
  DATEDIF: plain((a) => (a[0] === null || a[1] === null ? null : datedif(a[0] as DateV, a[1] as DateV, s(a[2]).trim().toLowerCase()))),
  DAYS: plain((a) => (a[0] === null || a[1] === null ? null : (a[0] as DateV).ord - (a[1] as DateV).ord)),
  // who fills in the form
  CURRENTUSER: plain((_a, env) => env.userId),
  CURRENTDEPARTMENT: plain((_a, env) => env.department),
}

export const FUNCTION_KEYS = Object.keys(FUNCTIONS)
