// UI of the backend field type "email" (src/cairn/meta/fieldtypes).
import { Message } from '@element-plus/icons-vue'
import { contactType } from './families'
import { TEXT_OPS } from './types'

const own = { key: 'email', icon: Message, writable: true, operators: TEXT_OPS, width: 200, defaultOptions: () => ({}) }
export default contactType(own, /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'validation.email')
