// UI of the backend field type "url" (src/cairn/meta/fieldtypes).
import { Link } from '@element-plus/icons-vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextEditor from '@/components/fields/TextEditor.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import { type FieldTypeUI, TEXT_OPS, isBlank } from './types'

const type: FieldTypeUI = {
  key: 'url',
  group: 'contact',
  icon: Link,
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
    isBlank(value) || /^https?:\/\/\S+$/i.test(String(value)) ? null : { key: 'validation.url' },
}

export default type
