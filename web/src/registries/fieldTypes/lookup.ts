// UI of the backend field type "lookup" (src/cairn/meta/fieldtypes).
import { View } from '@element-plus/icons-vue'
import DerivedSettings from '@/components/fields/DerivedSettings.vue'
import MiscCell from '@/components/fields/MiscCell.vue'
import { type FieldTypeUI, EMPTY_OPS } from './types'

const type: FieldTypeUI = {
  key: 'lookup',
  group: 'relation',
  icon: View,
  writable: false,
  sortable: false,
  operators: EMPTY_OPS,
  width: 160,
  cell: MiscCell,
  editor: null,
  filterInput: null,
  settings: DerivedSettings,
  defaultOptions: () => ({ relation: null, field: null }),
}

export default type
