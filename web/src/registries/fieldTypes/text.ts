// UI of the backend field type "text" (src/cairn/meta/fieldtypes).
import { EditPen } from '@element-plus/icons-vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextEditor from '@/components/fields/TextEditor.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import TextSettings from '@/components/fields/TextSettings.vue'
import { type FieldTypeUI, TEXT_OPS, checkText } from './types'

const type: FieldTypeUI = {
  key: 'text',
  group: 'text',
  icon: EditPen,
  writable: true,
  sortable: true,
  operators: TEXT_OPS,
  width: 180,
  cell: TextCell,
  editor: TextEditor,
  filterInput: TextFilter,
  settings: TextSettings,
  defaultOptions: () => ({ max_length: 255 }),
  validate: checkText,
}

export default type
