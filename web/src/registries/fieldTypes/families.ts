// Field types that share their UI with others of a family: the number family (number, currency,
// percent: min and max checked) and the contact types written as text (email, url: checked
// against a pattern). Each type's module says its own key, icon, width and default options, and
// (as every type module names them, for tests/test_web_registry.py to read) its operators and
// whether it is writable. No type of its own (no default export: the registry passes it over).
import NumberCell from '@/components/fields/NumberCell.vue'
import NumberEditor from '@/components/fields/NumberEditor.vue'
import NumberFilter from '@/components/fields/NumberFilter.vue'
import NumberSettings from '@/components/fields/NumberSettings.vue'
import TextCell from '@/components/fields/TextCell.vue'
import TextEditor from '@/components/fields/TextEditor.vue'
import TextFilter from '@/components/fields/TextFilter.vue'
import { type FieldTypeUI, isBlank } from './types'

/** What each type of a family says for itself. */
type Own = Pick<FieldTypeUI, 'key' | 'icon' | 'width' | 'operators' | 'writable' | 'defaultOptions'>

/** A type of the number family: a number, at least ``options.min`` and at most ``options.max``. */
export function numberType(own: Own): FieldTypeUI {
  return {
    ...own,
    group: 'number',
    sortable: true,
    cell: NumberCell,
    editor: NumberEditor,
    filterInput: NumberFilter,
    settings: NumberSettings,
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
}

/** A contact type written as text, without settings: blank, or matching ``pattern`` (else the
 *  message ``problem``). */
export function contactType(own: Own, pattern: RegExp, problem: string): FieldTypeUI {
  return {
    ...own,
    group: 'contact',
    sortable: true,
    cell: TextCell,
    editor: TextEditor,
    filterInput: TextFilter,
    settings: null,
    validate: (value) => (isBlank(value) || pattern.test(String(value)) ? null : { key: problem }),
  }
}
