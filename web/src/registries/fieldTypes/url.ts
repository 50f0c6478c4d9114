// UI of the backend field type "url" (src/cairn/meta/fieldtypes).
import { Link } from '@element-plus/icons-vue'
import { contactType } from './families'
import { TEXT_OPS } from './types'

const own = { key: 'url', icon: Link, writable: true, operators: TEXT_OPS, width: 200, defaultOptions: () => ({}) }
export default contactType(own, /^https?:\/\/\S+$/i, 'validation.url')
