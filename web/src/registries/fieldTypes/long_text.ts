// UI of the backend field type "long_text" (src/cairn/meta/fieldtypes).
import { Document } from '@element-plus/icons-vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextEditor from '@/components/fields/TextEditor.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import TextSettings from '@/components/fields/TextSettings.vue'
import { type FieldTypeUI, checkText } from './types'

const type: FieldTypeUI = {
  key: 'long_text',
  group: 'text',
  icon: Document,
  writable: true,
  sortable: false,
  operators: ['contains', 'is_empty', 'is_not_empty'],
  width: 240,
  cell: TextCell,
  editor: TextEditor,
  filterInput: TextFilter,
  settings: TextSettings,
  defaultOptions: () => ({ max_length: 100000 }),
  validate: checkText,
}

export default type
