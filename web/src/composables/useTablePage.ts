// A page about one table of an app (its indexes, its recycle bin …), at
// /apps/:app/tables/:table/…: the keys from the route and the table as the catalogue has it.
import { computed } from 'vue'
import { useRoute } from 'vue-router'
import { useMeta } from '@/stores/meta'

export function useTablePage() {
  const route = useRoute()
  const meta = useMeta()
  const app = String(route.params.app)
  const tableKey = String(route.params.table)
  const table = computed(() => meta.table(app, tableKey))
  return { meta, app, tableKey, table }
}
