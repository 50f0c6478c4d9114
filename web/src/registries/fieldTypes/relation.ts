// UI of the backend field type "relation" (src/cairn/meta/fieldtypes).
import { Connection } from '@element-plus/icons-vue'
import RelationCell from '@/components/fields/RelationCell.vue'
import RelationEditor from '@/components/fields/RelationEditor.vue'
import RelationFilter from '@/components/fields/RelationFilter.vue'
import RelationSettings from '@/components/fields/RelationSettings.vue'
import { type FieldTypeUI } from './types'

const type: FieldTypeUI = {
  key: 'relation',
  group: 'relation',
  icon: Connection,
  writable: true,
  sortable: false,
  operators: ['contains', 'in', 'not_in', 'is_empty', 'is_not_empty'],
  width: 200,
  cell: RelationCell,
  editor: RelationEditor,
  filterInput: RelationFilter,
  settings: RelationSettings,
  defaultOptions: () => ({ target_table: null, multiple: true }),
}

export default type
