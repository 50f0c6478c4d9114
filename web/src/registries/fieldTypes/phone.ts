// UI of the backend field type "phone" (src/cairn/meta/fieldtypes).
import { Phone } from '@element-plus/icons-vue'
import SmallSettings from '@/components/fields/SmallSettings.vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextEditor from '@/components/fields/TextEditor.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import { type FieldTypeUI, TEXT_OPS, isBlank } from './types'

const type: FieldTypeUI = {
  key: 'phone',
  group: 'contact',
  icon: Phone,
  writable: true,
  sortable: true,
  operators: TEXT_OPS,
  width: 160,
  cell: TextCell,
  editor: TextEditor,
  filterInput: TextFilter,
  settings: SmallSettings,
  defaultOptions: () => ({ region: 'CN' }),
  validate: (value) => {
    if (isBlank(value)) return null
    // The server decides (per region, with libphonenumber); this catches what is plainly no number.
    const digits = String(value).replace(/[\s\-()]/g, '')
    return /^\+?\d{5,17}$/.test(digits) ? null : { key: 'validation.phone' }
  },
}

export default type
