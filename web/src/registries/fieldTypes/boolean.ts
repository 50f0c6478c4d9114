// UI of the backend field type "boolean" (src/cairn/meta/fieldtypes).
import { Open } from '@element-plus/icons-vue'
import BoolCell from '@/components/fields/BoolCell.vue'
import BoolEditor from '@/components/fields/BoolEditor.vue'
import BoolFilter from '@/components/fields/BoolFilter.vue'
import { type FieldTypeUI } from './types'

const type: FieldTypeUI = {
  key: 'boolean',
  group: 'choice',
  icon: Open,
  writable: true,
  sortable: true,
  operators: ['eq', 'ne'],
  width: 90,
  cell: BoolCell,
  editor: BoolEditor,
  filterInput: BoolFilter,
  settings: null,
  defaultOptions: () => ({}),
}

export default type
