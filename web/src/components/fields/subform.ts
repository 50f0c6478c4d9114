// Sub-form values (src/cairn/meta/fieldtypes/subform.py): a record's value is its rows in
// order, ``[{id, <column key>: value …}]`` (a new row has no id). The API takes back the whole
// list with only what may be written: formula, lookup and rollup columns are left out.
import type { Field } from '@/api/types'
import { typeOf } from '@/registries/fieldTypes'

export type Row = Record<string, any> & { id?: number }

/** Columns whose values add up: numbers, money and formulas giving a number. */
export function totallable(col: Field): boolean {
  if (col.type === 'formula') return col.options?.result_type === 'number'
  return col.type === 'number' || col.type === 'currency'
}

/** Columns totalled under the rows of sub-form ``field``: those its ``totals`` option names
 *  (the designer's choice), by default money and number formulas (a sum of quantities or of
 *  plain numbers seldom means anything). */
export function totalled(field: Field, col: Field): boolean {
  const chosen = field.options?.totals
  if (Array.isArray(chosen)) return chosen.includes(col.key) && totallable(col)
  return totallable(col) && col.type !== 'number'
}

/** The columns a row's editor writes (not formulas, lookups, rollups or system values). */
export function writableColumns(columns: Field[]): Field[] {
  return columns.filter((c) => typeOf(c).writable && !!typeOf(c).editor)
}

/** A linked record or a file as the API takes it: by id. */
function idOf(x: any): any {
  return x && typeof x === 'object' && 'id' in x ? x.id : x
}

/** One column's value as the API takes it. */
export function cellForApi(col: Field, v: unknown): unknown {
  if ((col.type === 'relation' || col.type === 'attachment') && Array.isArray(v)) return v.map(idOf)
  if (col.type === 'relation') return idOf(v)
  return v
}

/** The rows as the API takes them: each row's id (an existing row) and its writable cells. */
export function rowsForApi(rows: unknown, columns: Field[]): Row[] {
  if (!Array.isArray(rows)) return []
  const cols = writableColumns(columns)
  return rows.map((r: Row) => {
    const out: Row = {}
    if (r.id !== undefined && r.id !== null) out.id = r.id
    for (const c of cols) if (c.key in r) out[c.key] = cellForApi(c, r[c.key])
    return out
  })
}

/** A new row: the columns' default values. */
export function blankRow(columns: Field[]): Row {
  const out: Row = {}
  for (const c of writableColumns(columns)) if (c.default !== null && c.default !== undefined) out[c.key] = c.default
  return out
}

/** A copy of a row as a new one (no id; what the server computes is left out). Auto numbers
 *  and unique values are not copied: the copy would repeat them. */
export function copyOf(row: Row, columns: Field[]): Row {
  const out: Row = {}
  for (const c of writableColumns(columns)) {
    if (c.unique) continue
    if (row[c.key] !== undefined) out[c.key] = JSON.parse(JSON.stringify(row[c.key]))
  }
  return out
}

/** The sum of a column over the rows (blank, masked and error cells left out), or null when
 *  none; ``get``: a row's value of the column (a live formula's). */
export function columnSum(rows: Row[], col: Field, get: (r: Row) => unknown = (r) => r[col.key]): number | null {
  let total = 0
  let any = false
  for (const r of rows) {
    const v = get(r)
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
    if (Number.isFinite(n)) {
      total += n
      any = true
    }
  }
  // Decimal places as typed: no 0.30000000000000004.
  return any ? Math.round(total * 1e8) / 1e8 : null
}

/** The rows count of a value: a page of records gives the count, a record its rows. */
export function rowCount(value: unknown): number {
  return typeof value === 'number' ? value : Array.isArray(value) ? value.length : 0
}
