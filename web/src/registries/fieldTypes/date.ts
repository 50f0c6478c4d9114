// UI of the backend field type "date" (src/cairn/meta/fieldtypes).
import { Calendar } from '@element-plus/icons-vue'
import DateCell from '@/components/fields/DateCell.vue'
import DateEditor from '@/components/fields/DateEditor.vue'
import DateFilter from '@/components/fields/DateFilter.vue'
import { type FieldTypeUI, DATE_OPS } from './types'

const type: FieldTypeUI = {
  key: 'date',
  group: 'date',
  icon: Calendar,
  writable: true,
  sortable: true,
  operators: DATE_OPS,
  width: 120,
  cell: DateCell,
  editor: DateEditor,
  filterInput: DateFilter,
  settings: null,
  defaultOptions: () => ({ format: 'YYYY-MM-DD' }),
}

export default type
