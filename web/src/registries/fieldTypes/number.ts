// UI of the backend field type "number" (src/cairn/meta/fieldtypes).
import { Odometer } from '@element-plus/icons-vue'
import { numberType } from './families'
import { ORDERED_OPS } from './types'

export default numberType({
  key: 'number',
  icon: Odometer,
  writable: true,
  operators: ORDERED_OPS,
  width: 120,
  defaultOptions: () => ({ decimals: 0 }),
})
