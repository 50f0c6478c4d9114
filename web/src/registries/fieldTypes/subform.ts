// UI of the backend field type "subform" (src/cairn/meta/fieldtypes): for now its row count in
// grids; the inline grid editor and its settings come with the sub-form UI.
import { Grid } from '@element-plus/icons-vue'
import SubformCell from '@/components/fields/SubformCell.vue'
import { type FieldTypeUI } from './types'

const type: FieldTypeUI = {
  key: 'subform',
  group: 'relation',
  icon: Grid,
  writable: true,
  sortable: false,
  operators: [],
  width: 120,
  cell: SubformCell,
  editor: null,
  filterInput: null,
  settings: null,
  defaultOptions: () => ({ max_rows: 500 }),
}

export default type
