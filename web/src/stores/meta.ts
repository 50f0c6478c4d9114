import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { App, Table } from '@/api/types'

/** Apps and their tables (with fields), cached per app and reloaded after design changes. */
export const useMeta = defineStore('meta', () => {
  const apps = ref<App[]>([])
  const tables = ref<Record<string, Table[]>>({})

  async function loadApps(): Promise<App[]> {
    apps.value = (await api.get<{ items: App[] }>(paths.apps())).items
    return apps.value
  }

  async function loadTables(app: string, force = false): Promise<Table[]> {
    if (!force && tables.value[app]) return tables.value[app]
    const items = (await api.get<{ items: Table[] }>(paths.tables(app))).items
    tables.value = { ...tables.value, [app]: items }
    return items
  }

  function table(app: string, key: string): Table | undefined {
    return tables.value[app]?.find((t) => t.key === key)
  }

  function tableById(app: string, id: number | string): Table | undefined {
    return tables.value[app]?.find((t) => t.id === id || t.key === id)
  }

  return { apps, tables, loadApps, loadTables, table, tableById }
})
