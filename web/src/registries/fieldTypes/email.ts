// UI of the backend field type "email" (src/cairn/meta/fieldtypes).
import { Message } from '@element-plus/icons-vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextEditor from '@/components/fields/TextEditor.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import { type FieldTypeUI, TEXT_OPS, isBlank } from './types'

const type: FieldTypeUI = {
  key: 'email',
  group: 'contact',
  icon: Message,
  writable: true,
  sortable: true,
  operators: TEXT_OPS,
  width: 200,
  cell: TextCell,
  editor: TextEditor,
  filterInput: TextFilter,
  settings: null,
  defaultOptions: () => ({}),
  validate: (value) =>
    isBlank(value) || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(value)) ? null : { key: 'validation.email' },
}

export default type
