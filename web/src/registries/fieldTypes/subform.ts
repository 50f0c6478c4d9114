// UI of the backend field type "subform" (src/cairn/meta/fieldtypes/subform.py): rows with
// columns of their own, edited inline in the form (SubformEditor), shown read-only as a table
// and in grids as a row count; its columns are designed in the field's settings.
import { Grid } from '@element-plus/icons-vue'
import type { Field } from '@/api/types'
import SubformCell from '@/components/fields/SubformCell.vue'
import SubformEditor from '@/components/fields/SubformEditor.vue'
import SubformSettings from '@/components/fields/SubformSettings.vue'
import { rowsForApi } from '@/components/fields/subform'
import { useSubforms } from '@/stores/subforms'
import { type FieldTypeUI } from './types'

const type: FieldTypeUI = {
  key: 'subform',
  group: 'relation',
  icon: Grid,
  writable: true,
  formOnly: true,
  sortable: false,
  operators: [],
  width: 120,
  cell: SubformCell,
  editor: SubformEditor,
  filterInput: null,
  settings: SubformSettings,
  defaultOptions: () => ({ max_rows: 500 }),
  // The whole list goes back, each row with only what it may write (no formula columns).
  input: (value: unknown, field: Field, app: string) => rowsForApi(value, useSubforms().columns(app, field.options?.table)),
}

export default type
