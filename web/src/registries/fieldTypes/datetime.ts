// UI of the backend field type "datetime" (src/cairn/meta/fieldtypes).
import { Timer } from '@element-plus/icons-vue'
import DateCell from '@/components/fields/DateCell.vue'
import DateEditor from '@/components/fields/DateEditor.vue'
import DateFilter from '@/components/fields/DateFilter.vue'
import { type FieldTypeUI, DATE_OPS } from './types'

const type: FieldTypeUI = {
  key: 'datetime',
  group: 'date',
  icon: Timer,
  writable: true,
  sortable: true,
  operators: DATE_OPS,
  width: 160,
  cell: DateCell,
  editor: DateEditor,
  filterInput: DateFilter,
  settings: null,
  defaultOptions: () => ({ format: 'YYYY-MM-DD HH:mm' }),
}

export default type
