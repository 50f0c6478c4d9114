// What uses a field, said before it is deleted: the lookups and rollups through it or of it, a
// relation's other side, and the table it is the display field of.
import type { Field, Table } from '@/api/types'

type Translate = (key: string, params?: Record<string, unknown>) => string

/** ``f`` of ``table``, among the app's ``tables``: what uses it, as "table · field" lines. */
export function dependantsOf(f: Field, table: Table, tables: Table[], t: Translate): string[] {
  const out: string[] = []
  const derived = (x: Field): boolean => x.type === 'lookup' || x.type === 'rollup'
  for (const tb of tables) {
    for (const x of tb.fields) {
      if (tb.key === table.key && derived(x) && x.options.relation === f.key) out.push(`${tb.name} · ${x.name}`)
      if (derived(x)) {
        const rel = tb.fields.find((r) => r.key === x.options.relation)
        if (rel?.options.target_table === table.key && x.options.field === f.key) out.push(`${tb.name} · ${x.name}`)
      }
    }
  }
  if (f.type === 'relation' && f.options.reverse_field) {
    const target = tables.find((tb) => tb.id === f.options.target_table || tb.key === f.options.target_table)
    const rev = target?.fields.find((x) => x.key === f.options.reverse_field)
    if (target && rev) out.push(`${target.name} · ${rev.name} (${t('designer.reverse_side')})`)
  }
  if (table.display_field === f.key) out.push(t('designer.display_field_of', { table: table.name }))
  return out
}
