// The form layout of a table as forms render it: sections of rows of 1 to 3 fields.
import type { Field, Layout, Table } from '@/api/types'

export interface ShownRow {
  cols: number
  cells: (Field | null)[]
}

export interface ShownSection {
  title: string
  collapsed: boolean
  rows: ShownRow[]
}

/** The sections a form shows for these fields (the ones the reader may see): the table's layout,
 *  or one field per row; fields it does not place come after it; rows left empty are skipped. */
export function shownLayout(table: Table | undefined, fields: Field[]): ShownSection[] {
  const byKey = new Map(fields.map((f) => [f.key, f]))
  const layout: Layout = table?.layout ?? { sections: [{ title: '', collapsed: false, rows: fields.map((f) => [f.key]) }] }
  const placed = new Set<string>()
  const out: ShownSection[] = []
  for (const sec of layout.sections) {
    const rows: ShownRow[] = []
    for (const row of sec.rows) {
      const cells = row.map((k) => (k && byKey.has(k) && !placed.has(k) ? byKey.get(k)! : null))
      cells.forEach((f) => f && placed.add(f.key))
      if (cells.some((c) => c)) rows.push({ cols: Math.min(Math.max(row.length, 1), 3), cells })
    }
    out.push({ title: sec.title, collapsed: sec.collapsed, rows })
  }
  const rest = fields.filter((f) => !placed.has(f.key)).map((f) => ({ cols: 1, cells: [f] }))
  if (rest.length) {
    const last = out[out.length - 1]
    if (last && !last.title && !last.collapsed) last.rows.push(...rest)
    else out.push({ title: '', collapsed: false, rows: rest })
  }
  return out.filter((s) => s.rows.length)
}
