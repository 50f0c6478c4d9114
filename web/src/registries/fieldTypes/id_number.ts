// UI of the backend field type "id_number" (src/cairn/meta/fieldtypes/idkeys.py).
import { Postcard } from '@element-plus/icons-vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextEditor from '@/components/fields/TextEditor.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import { checkIdNumber } from '@/identityKeys'
import { type FieldTypeUI, TEXT_OPS, isBlank } from './types'

const type: FieldTypeUI = {
  key: 'id_number',
  group: 'contact',
  icon: Postcard,
  writable: true,
  sortable: true,
  operators: TEXT_OPS,
  width: 200,
  cell: TextCell,
  editor: TextEditor,
  filterInput: TextFilter,
  settings: null,
  defaultOptions: () => ({}),
  validate: (value) => (isBlank(value) ? null : checkIdNumber(value)),
}

export default type
