// UI of the backend field type "user" (src/cairn/meta/fieldtypes).
import { User } from '@element-plus/icons-vue'
import MiscCell from '@/components/fields/MiscCell.vue'
import UserEditor from '@/components/fields/UserEditor.vue'
import UserFilter from '@/components/fields/UserFilter.vue'
import { type FieldTypeUI } from './types'

const type: FieldTypeUI = {
  key: 'user',
  group: 'other',
  icon: User,
  writable: true,
  sortable: true,
  operators: ['eq', 'ne', 'in', 'not_in', 'is_empty', 'is_not_empty'],
  width: 120,
  cell: MiscCell,
  editor: UserEditor,
  filterInput: UserFilter,
  settings: null,
  defaultOptions: () => ({}),
}

export default type
