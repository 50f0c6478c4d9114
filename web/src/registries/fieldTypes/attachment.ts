// UI of the backend field type "attachment" (src/cairn/meta/fieldtypes).
import { Paperclip } from '@element-plus/icons-vue'
import AttachmentCell from '@/components/fields/AttachmentCell.vue'
import AttachmentEditor from '@/components/fields/AttachmentEditor.vue'
import SmallSettings from '@/components/fields/SmallSettings.vue'
import { type FieldTypeUI, EMPTY_OPS } from './types'

const type: FieldTypeUI = {
  key: 'attachment',
  group: 'other',
  icon: Paperclip,
  writable: true,
  sortable: false,
  operators: EMPTY_OPS,
  width: 160,
  cell: AttachmentCell,
  editor: AttachmentEditor,
  filterInput: null,
  settings: SmallSettings,
  defaultOptions: () => ({ max_files: 10, max_size_mb: 20, allowed_types: [] }),
}

export default type
