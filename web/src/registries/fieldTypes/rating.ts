// UI of the backend field type "rating" (src/cairn/meta/fieldtypes).
import { Star } from '@element-plus/icons-vue'
import NumberCell from '@/components/fields/NumberCell.vue'
import NumberEditor from '@/components/fields/NumberEditor.vue'
import NumberFilter from '@/components/fields/NumberFilter.vue'
import NumberSettings from '@/components/fields/NumberSettings.vue'
import { type FieldTypeUI, ORDERED_OPS } from './types'

const type: FieldTypeUI = {
  key: 'rating',
  group: 'number',
  icon: Star,
  writable: true,
  sortable: true,
  operators: ORDERED_OPS,
  width: 130,
  cell: NumberCell,
  editor: NumberEditor,
  filterInput: NumberFilter,
  settings: NumberSettings,
  defaultOptions: () => ({ max: 5 }),
}

export default type
