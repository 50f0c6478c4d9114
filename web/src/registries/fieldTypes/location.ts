// UI of the backend field type "location" (src/cairn/meta/fieldtypes).
import { Location } from '@element-plus/icons-vue'
import MiscCell from '@/components/fields/MiscCell.vue'
import MiscEditor from '@/components/fields/MiscEditor.vue'
import { type FieldTypeUI, EMPTY_OPS } from './types'

const type: FieldTypeUI = {
  key: 'location',
  group: 'other',
  icon: Location,
  writable: true,
  sortable: false,
  operators: EMPTY_OPS,
  width: 220,
  cell: MiscCell,
  editor: MiscEditor,
  filterInput: null,
  settings: null,
  defaultOptions: () => ({}),
}

export default type
