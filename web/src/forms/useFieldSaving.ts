// Saving and deleting the field being set up (forms/FieldSettingsPanel.vue), the same in the form
// designer and for a sub-form's columns (the same field API, on the rows' table): the checks
// before the API sees it, create or patch what changed, the errors it refuses at their inputs,
// delete after a confirm. What follows (reading the table again, selecting the field) is the
// caller's.
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ElMessage, ElMessageBox } from 'element-plus'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { Field } from '@/api/types'
import { messageOf } from '@/problems'
import { draftErrors, fieldBody, refusedErrors, type FieldDraft } from './fieldDraft'

export interface FieldSavingOptions<D extends FieldDraft> {
  /** The app and the table whose fields these are. */
  app: () => string
  table: () => string
  /** The draft's field as saved (by id). */
  saved: (d: D) => Field | undefined
  /** Another field (saved, or a draft elsewhere) has the draft's key. */
  keyTaken: (d: D) => boolean
  /** The API created the draft as ``created``: read again, select it. */
  created: (d: D, created: Field) => Promise<void>
  /** The API changed the draft's field: read again, select it. */
  changed: (d: D) => Promise<void>
  /** The API deleted the draft's field. */
  deleted: (d: D) => Promise<void>
}

export function useFieldSaving<D extends FieldDraft>(o: FieldSavingOptions<D>) {
  const { t } = useI18n()
  const errors = ref<Record<string, string>>({})
  const saving = ref(false)

  /** The draft's errors before the API sees it; true when there are none. */
  function check(d: D): boolean {
    errors.value = draftErrors(d, o.keyTaken(d), t)
    return !Object.keys(errors.value).length
  }

  /** Create the draft, or patch what changed of its saved field (nothing changed: say so). */
  async function save(d: D): Promise<void> {
    if (!check(d)) return
    saving.value = true
    try {
      if (d._new) {
        const created = await api.post<Field>(paths.fields(o.app(), o.table()), fieldBody(d))
        await o.created(d, created)
      } else {
        const orig = o.saved(d)
        const patch = fieldBody(d, orig)
        if (!Object.keys(patch).length) return void ElMessage.info(t('record.no_changes'))
        const out = await api.patch<Field>(paths.field(o.app(), o.table(), orig?.key ?? d.key), patch)
        await o.changed(d)
        // A field newly marked as an identity key: its values were re-normalised; say how many
        // and how many are no valid key (kept), so none is lost unnoticed.
        if (out.renormalised) {
          const r = out.renormalised
          return void ElMessage({ type: r.invalid ? 'warning' : 'success', message: t('designer.key_renormalised', r), duration: 8000 })
        }
      }
      ElMessage.success(t('designer.saved'))
    } catch (e) {
      errors.value = refusedErrors(e)
    } finally {
      saving.value = false
    }
  }

  /** Delete the draft's saved field once the user confirms ``message`` (lines kept as lines). */
  async function remove(d: D, message = t('designer.delete_confirm', { name: d.name })): Promise<void> {
    try {
      await ElMessageBox.confirm(message, t('common.confirm'), { type: 'warning', confirmButtonText: t('common.delete'), customClass: 'pre-line' })
    } catch {
      return
    }
    try {
      await api.del(paths.field(o.app(), o.table(), d.key))
      ElMessage.success(t('designer.deleted', { name: d.name }))
      await o.deleted(d)
    } catch (e) {
      ElMessageBox.alert(messageOf(e), t('common.error'), { type: 'error' })
    }
  }

  return { errors, saving, save, remove }
}
