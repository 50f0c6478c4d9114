// UI of the backend field type "single_select" (src/cairn/meta/fieldtypes).
import { CircleCheck } from '@element-plus/icons-vue'
import ChipsCell from '@/components/fields/ChipsCell.vue'
import ChoiceFilter from '@/components/fields/ChoiceFilter.vue'
import ChoiceSettings from '@/components/fields/ChoiceSettings.vue'
import SelectEditor from '@/components/fields/SelectEditor.vue'
import { type FieldTypeUI } from './types'

const type: FieldTypeUI = {
  key: 'single_select',
  group: 'choice',
  icon: CircleCheck,
  writable: true,
  sortable: true,
  operators: ['eq', 'ne', 'in', 'not_in', 'is_empty', 'is_not_empty'],
  width: 140,
  cell: ChipsCell,
  editor: SelectEditor,
  filterInput: ChoiceFilter,
  settings: ChoiceSettings,
  defaultOptions: () => ({ choices: [] }),
}

export default type
