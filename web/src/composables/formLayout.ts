// The form layout of a table as forms render it: sections of rows of 1 to 3 fields.
import type { Field, Layout, Table } from '@/api/types'

export interface ShownRow {
  cols: number
  cells: (Field | null)[]
}

export interface ShownSection {
  /** What linkage rules show or hide it by. */
  key?: string | null
  title: string
  collapsed: boolean
  rows: ShownRow[]
}

/** The sections a form shows for these fields (the ones the reader may see): the table's layout
 *  (or ``own``: a form's), or one field per row; fields it does not place come after it (not
 *  for a form variant: ``rest`` false, it shows what it places); rows left empty are skipped. */
export function shownLayout(table: Table | undefined, fields: Field[], own?: Layout | null, rest = true): ShownSection[] {
  const byKey = new Map(fields.map((f) => [f.key, f]))
  const layout: Layout = own ?? table?.layout ?? { sections: [{ title: '', collapsed: false, rows: fields.map((f) => [f.key]) }] }
  const placed = new Set<string>()
  const out: ShownSection[] = []
  for (const sec of layout.sections) {
    const rows: ShownRow[] = []
    for (const row of sec.rows) {
      const cells = row.map((k) => (k && byKey.has(k) && !placed.has(k) ? byKey.get(k)! : null))
      cells.forEach((f) => f && placed.add(f.key))
      if (cells.some((c) => c)) rows.push({ cols: Math.min(Math.max(row.length, 1), 3), cells })
    }
    out.push({ key: sec.key, title: sec.title, collapsed: sec.collapsed, rows })
  }
  const others = rest ? fields.filter((f) => !placed.has(f.key)).map((f) => ({ cols: 1, cells: [f] })) : []
  if (others.length) {
    const last = out[out.length - 1]
    if (last && !last.title && !last.collapsed && !last.key) last.rows.push(...others)
    else out.push({ title: '', collapsed: false, rows: others })
  }
  return out.filter((s) => s.rows.length)
}
