// UI of the backend field type "formula" (src/cairn/meta/fieldtypes/formula.py): computed by
// the server, shown as it sends it (a number in its display format, text, date, or an error
// such as #DIV/0!).
import { Operation } from '@element-plus/icons-vue'
import FormulaSettings from '@/components/fields/FormulaSettings.vue'
import FormulaCell from '@/components/fields/FormulaCell.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import { type FieldTypeUI, ORDERED_OPS } from './types'

const type: FieldTypeUI = {
  key: 'formula',
  group: 'relation',
  icon: Operation,
  writable: false,
  sortable: true,
  operators: ORDERED_OPS,
  width: 140,
  cell: FormulaCell,
  editor: null,
  filterInput: TextFilter,
  settings: FormulaSettings,
  defaultOptions: () => ({ formula: '' }),
}

export default type
