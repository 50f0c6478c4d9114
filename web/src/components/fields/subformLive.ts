// Formula columns of a sub-form computed as the user types (金额 = {数量} * {单价} before the
// record is saved): the rows' table lists those the browser computes exactly as the server
// will (``live_formulas``, src/cairn/meta/live_formulas.py), each a typed tree run by the
// browser's formula evaluator over the row. Any other formula column shows its saved value.
import type { Table } from '@/api/types'
import { compile, formulaValue, type Env, type Node } from '@/formula'
import { DateTimeV, DateV, ErrV, isoDate, numberText, type Value } from '@/formula/values'
import type { Row } from './subform'

/** Live formulas read no date, time or user of the form (the server leaves those out). */
const ENV: Env = { today: new DateV(1), now: new DateTimeV(0), utcOffset: 0, userId: null, department: null }

/** A formula's value as the API shows it: numbers to 15 digits, errors as their text. */
function shown(v: Value): unknown {
  if (v instanceof ErrV) return v.code
  if (typeof v === 'number') return Number(numberText(v))
  if (v instanceof DateV) return isoDate(v)
  if (v instanceof DateTimeV) return null
  return v
}

export type LiveColumns = Record<string, (row: Row) => unknown>

/** The live formula columns of a sub-form's rows table, by key: a row → the column's value.
 *  A formula reading a column the user sees masked is left out (its value is not at hand). */
export function liveColumns(table: Table | undefined): LiveColumns {
  const out: LiveColumns = {}
  const masked = new Set(table?.masked_fields ?? [])
  for (const [key, live] of Object.entries(table?.live_formulas ?? {})) {
    const kinds = live.kinds
    if (Object.keys(kinds).some((k) => masked.has(k))) continue
    let run
    try {
      run = compile(live.tree as unknown as Node)
    } catch {
      continue // a function this browser lacks: the saved value
    }
    const f = run
    out[key] = (row) => shown(f((k) => formulaValue(kinds[k] ?? 'text', row[k], 0), ENV))
  }
  return out
}
