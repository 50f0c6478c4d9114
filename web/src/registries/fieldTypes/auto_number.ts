// UI of the backend field type "auto_number" (src/cairn/meta/fieldtypes).
import { Sort } from '@element-plus/icons-vue'
import AutoNumberSettings from '@/components/fields/AutoNumberSettings.vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import { type FieldTypeUI, TEXT_OPS } from './types'

const type: FieldTypeUI = {
  key: 'auto_number',
  group: 'other',
  icon: Sort,
  writable: false,
  sortable: true,
  operators: TEXT_OPS,
  width: 130,
  cell: TextCell,
  editor: null,
  filterInput: TextFilter,
  settings: AutoNumberSettings,
  defaultOptions: () => ({ prefix: '', digits: 6, start: 1 }),
}

export default type
