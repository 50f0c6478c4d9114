import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { Field, Table } from '@/api/types'

/** The tables of sub-forms' rows (not among an app's listed tables, reached by their key):
 *  their columns, for the sub-form editor, its read-only table and the designer's columns. */
export const useSubforms = defineStore('subforms', () => {
  const tables = ref<Record<string, Table>>({})
  const pending = new Map<string, Promise<Table>>()

  const id = (app: string, key: string) => `${app}/${key}`

  async function load(app: string, key: string, force = false): Promise<Table> {
    const k = id(app, key)
    if (!force && tables.value[k]) return tables.value[k]
    if (!force && pending.has(k)) return pending.get(k)!
    const p = api
      .get<Table>(paths.table(app, key))
      .then((tb) => {
        tables.value = { ...tables.value, [k]: tb }
        return tb
      })
      .finally(() => pending.delete(k))
    pending.set(k, p)
    return p
  }

  /** The rows' table of a sub-form field once loaded. */
  function table(app: string, key: string | null | undefined): Table | undefined {
    return key ? tables.value[id(app, key)] : undefined
  }

  /** Its columns in order (the rows' table's fields). */
  function columns(app: string, key: string | null | undefined): Field[] {
    const tb = table(app, key)
    return [...(tb?.fields ?? [])].sort((a, b) => a.position - b.position)
  }

  function reset(): void {
    tables.value = {}
  }

  return { tables, load, table, columns, reset }
})
