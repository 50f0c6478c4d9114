// UI of the backend field type "number" (src/cairn/meta/fieldtypes).
import { Odometer } from '@element-plus/icons-vue'
import NumberCell from '@/components/fields/NumberCell.vue'
import NumberEditor from '@/components/fields/NumberEditor.vue'
import NumberFilter from '@/components/fields/NumberFilter.vue'
import NumberSettings from '@/components/fields/NumberSettings.vue'
import { type FieldTypeUI, ORDERED_OPS, isBlank } from './types'

const type: FieldTypeUI = {
  key: 'number',
  group: 'number',
  icon: Odometer,
  writable: true,
  sortable: true,
  operators: ORDERED_OPS,
  width: 120,
  cell: NumberCell,
  editor: NumberEditor,
  filterInput: NumberFilter,
  settings: NumberSettings,
  defaultOptions: () => ({ decimals: 0 }),
  validate: (value, field) => {
    if (isBlank(value)) return null
    const n = Number(value)
    if (Number.isNaN(n)) return { key: 'validation.number' }
    const o = field.options ?? {}
    if (o.min !== null && o.min !== undefined && n < o.min) return { key: 'validation.min', params: { min: o.min } }
    if (o.max !== null && o.max !== undefined && n > o.max) return { key: 'validation.max', params: { max: o.max } }
    return null
  },
}

export default type
