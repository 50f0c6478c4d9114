// UI of the backend field type "credit_code" (src/cairn/meta/fieldtypes/idkeys.py).
import { OfficeBuilding } from '@element-plus/icons-vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextEditor from '@/components/fields/TextEditor.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import { checkCreditCode } from '@/identityKeys'
import { type FieldTypeUI, TEXT_OPS, isBlank } from './types'

const type: FieldTypeUI = {
  key: 'credit_code',
  group: 'contact',
  icon: OfficeBuilding,
  writable: true,
  sortable: true,
  operators: TEXT_OPS,
  width: 200,
  cell: TextCell,
  editor: TextEditor,
  filterInput: TextFilter,
  settings: null,
  defaultOptions: () => ({}),
  validate: (value) => (isBlank(value) ? null : checkCreditCode(value)),
}

export default type
