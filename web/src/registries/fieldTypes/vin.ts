// UI of the backend field type "vin" (src/cairn/meta/fieldtypes/idkeys.py).
import { Van } from '@element-plus/icons-vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextEditor from '@/components/fields/TextEditor.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import { checkVin } from '@/identityKeys'
import { type FieldTypeUI, TEXT_OPS, isBlank } from './types'

const type: FieldTypeUI = {
  key: 'vin',
  group: 'contact',
  icon: Van,
  writable: true,
  sortable: true,
  operators: TEXT_OPS,
  width: 200,
  cell: TextCell,
  editor: TextEditor,
  filterInput: TextFilter,
  settings: null,
  defaultOptions: () => ({}),
  validate: (value) => (isBlank(value) ? null : checkVin(value)),
}

export default type
