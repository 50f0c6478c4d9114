import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { App, Table, TablePermissions } from '@/api/types'

const NO_TABLE: TablePermissions = { create: false, read: false, update: false, delete: false, export: false, manage: false }
const EVERYTHING: TablePermissions = { create: true, read: true, update: true, delete: true, export: true, manage: true }

/** Apps and their tables (with fields), cached per app and reloaded after design changes. The
 *  listings hold only what the signed-in user may see, each with what they may do with it. */
export const useMeta = defineStore('meta', () => {
  const apps = ref<App[]>([])
  const tables = ref<Record<string, Table[]>>({})
  /** True once the apps have been listed (an empty list is an answer too). */
  const appsLoaded = ref(false)

  async function loadApps(): Promise<App[]> {
    apps.value = (await api.get<{ items: App[] }>(paths.apps())).items
    appsLoaded.value = true
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

  /** What the user may do with a table: nothing until it is loaded (so no button shows before
   *  the answer), everything from a server that does not say (one running open). */
  function can(app: string, key: string): TablePermissions {
    const tb = table(app, key)
    if (!tb) return NO_TABLE
    return tb.permissions ?? EVERYTHING
  }

  /** May the user manage the app: new tables, the 360° settings, the recycle bin? */
  function manages(app: string): boolean {
    const a = apps.value.find((x) => x.key === app)
    return !!a && (a.permissions?.manage ?? true)
  }

  function reset(): void {
    apps.value = []
    tables.value = {}
    appsLoaded.value = false
  }

  /** Have the tables of ``app`` been listed (so a table missing from them is not the user's)? */
  function tablesLoaded(app: string): boolean {
    return app in tables.value
  }

  return { apps, tables, appsLoaded, tablesLoaded, loadApps, loadTables, table, tableById, can, manages, reset }
})
