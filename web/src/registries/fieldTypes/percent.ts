// UI of the backend field type "percent" (src/cairn/meta/fieldtypes).
import { Discount } from '@element-plus/icons-vue'
import { numberType } from './families'
import { ORDERED_OPS } from './types'

export default numberType({
  key: 'percent',
  icon: Discount,
  writable: true,
  operators: ORDERED_OPS,
  width: 110,
  defaultOptions: () => ({ decimals: 2 }),
})
