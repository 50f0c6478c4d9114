// UI of the backend field type "multi_select" (src/cairn/meta/fieldtypes).
import { Finished } from '@element-plus/icons-vue'
import ChipsCell from '@/components/fields/ChipsCell.vue'
import ChoiceFilter from '@/components/fields/ChoiceFilter.vue'
import ChoiceSettings from '@/components/fields/ChoiceSettings.vue'
import SelectEditor from '@/components/fields/SelectEditor.vue'
import { type FieldTypeUI } from './types'

const type: FieldTypeUI = {
  key: 'multi_select',
  group: 'choice',
  icon: Finished,
  writable: true,
  sortable: false,
  operators: ['contains', 'in', 'not_in', 'is_empty', 'is_not_empty'],
  width: 200,
  cell: ChipsCell,
  editor: SelectEditor,
  filterInput: ChoiceFilter,
  settings: ChoiceSettings,
  defaultOptions: () => ({ choices: [] }),
}

export default type
