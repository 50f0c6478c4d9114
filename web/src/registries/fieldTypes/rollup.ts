// UI of the backend field type "rollup" (src/cairn/meta/fieldtypes).
import { DataAnalysis } from '@element-plus/icons-vue'
import DerivedSettings from '@/components/fields/DerivedSettings.vue'
import NumberCell from '@/components/fields/NumberCell.vue'
import NumberFilter from '@/components/fields/NumberFilter.vue'
import { type FieldTypeUI, ORDERED_OPS } from './types'

const type: FieldTypeUI = {
  key: 'rollup',
  group: 'relation',
  icon: DataAnalysis,
  writable: false,
  sortable: true,
  operators: ORDERED_OPS,
  width: 130,
  cell: NumberCell,
  editor: null,
  filterInput: NumberFilter,
  settings: DerivedSettings,
  defaultOptions: () => ({ relation: null, field: null, function: 'count', decimals: 2 }),
}

export default type
