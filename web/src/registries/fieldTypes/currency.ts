// UI of the backend field type "currency" (src/cairn/meta/fieldtypes).
import { Coin } from '@element-plus/icons-vue'
import { numberType } from './families'
import { ORDERED_OPS } from './types'

export default numberType({
  key: 'currency',
  icon: Coin,
  writable: true,
  operators: ORDERED_OPS,
  width: 140,
  defaultOptions: () => ({ decimals: 2, currency: 'CNY' }),
})
