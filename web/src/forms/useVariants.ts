// A table's form variants as the form designer manages them (forms/VariantDialog.vue): create one
// (empty, or a copy of the table's own form with its rules), change its name and roles, delete it
// after a confirm. The designer's tabs, and what it reads again after each, are the caller's.
import { ref, type ComputedRef, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ElMessage, ElMessageBox } from 'element-plus'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { Form, FormSummary, Layout } from '@/api/types'
import { fieldErrorsOf, messageOf, showRefusal } from '@/problems'
import type { VariantForm } from './VariantDialog.vue'

/** The table's own form: what ``GET …/forms/default`` answers. */
export const DEFAULT_FORM = 'default'

export interface VariantsOptions {
  app: string
  table: string
  /** The table's forms as listed, the active tab, and the variant being designed. */
  forms: Ref<FormSummary[]>
  active: Ref<string>
  current: Ref<Form | null>
  /** The active variant (null on the table's own form). */
  variant: ComputedRef<FormSummary | null>
  loadForms: () => Promise<void>
  /** A new variant was saved: show its layout. */
  created: (key: string) => Promise<void>
  /** The active variant was deleted: show the table's own form. */
  removed: () => Promise<void>
  /** A variant saved elsewhere meanwhile: say so, read it again. */
  stale: () => Promise<void>
}

/** The server's errors as the dialog shows them: ``roles.2`` at the roles, the layout's at the end. */
function dialogErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(fieldErrorsOf(e))) {
    const at = k.startsWith('roles') ? 'roles' : k.startsWith('layout') ? 'layout' : k
    out[at] = out[at] ? `${out[at]} ${v}` : v
  }
  return out
}

export function useVariants(o: VariantsOptions) {
  const { t } = useI18n()
  const { app, table } = o
  const open = ref(false)
  const editing = ref<{ key: string; name: string; roles: string[] } | null>(null)
  const errors = ref<Record<string, string>>({})
  const saving = ref(false)

  function openCreate(): void {
    editing.value = null
    errors.value = {}
    open.value = true
  }

  function openVariant(): void {
    const v = o.variant.value
    if (!v) return
    editing.value = { key: v.key, name: v.name, roles: [...v.roles] }
    errors.value = {}
    open.value = true
  }

  async function submit(f: VariantForm): Promise<void> {
    saving.value = true
    errors.value = {}
    try {
      if (editing.value) {
        const key = editing.value.key
        const got = await api.patch<Form>(paths.form(app, table, key), { name: f.name, roles: f.roles, version: o.forms.value.find((x) => x.key === key)?.version })
        if (o.active.value === key) o.current.value = got
        await o.loadForms()
      } else {
        let layout: Layout = { sections: [] }
        if (f.start === 'copy') {
          // The table's own form as it shows, with its rules.
          const own = await api.get<Form>(paths.form(app, table, DEFAULT_FORM))
          layout = { sections: own.effective.sections, ...(own.layout?.rules?.length ? { rules: own.layout.rules } : {}) }
        }
        await api.post<Form>(paths.forms(app, table), { key: f.key, name: f.name, roles: f.roles, layout })
        await o.loadForms()
        await o.created(f.key)
      }
      open.value = false
      ElMessage.success(t('forms.variant_saved', { name: f.name }))
    } catch (e) {
      const invalid = (x: unknown): Record<string, string> => (errors.value = dialogErrors(x))
      if (showRefusal(e, { invalid }) === 'stale') {
        open.value = false
        await o.stale()
      }
    } finally {
      saving.value = false
    }
  }

  async function remove(): Promise<void> {
    const v = o.variant.value
    if (!v) return
    try {
      await ElMessageBox.confirm(t('forms.delete_confirm', { name: v.name }), t('common.confirm'), { type: 'warning', confirmButtonText: t('common.delete'), cancelButtonText: t('common.cancel') })
    } catch {
      return
    }
    try {
      await api.del(paths.form(app, table, v.key))
      ElMessage.success(t('forms.deleted', { name: v.name }))
      await o.removed()
      await o.loadForms()
    } catch (e) {
      ElMessage.error(messageOf(e))
    }
  }

  return { open, editing, errors, saving, openCreate, openVariant, submit, remove }
}
