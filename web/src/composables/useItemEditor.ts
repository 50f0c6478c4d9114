// What the editor page of one saved item (a rule, an alert) does the same way as the others, and
// the props of its EditorShell (`<EditorShell v-bind="shell" …>`): the tab (kept in ?tab=, the first tab left out), whether the draft differs from
// the saved item, the enable switch (on a saved item it saves at once, on the item as saved; other
// edits wait for "save"), delete after a confirm, what a refused save shows, and the question
// before leaving unsaved changes. Texts are `${texts}.enabled_msg|disabled_msg|delete_confirm|
// deleted|leave_unsaved|leave|fix_errors|stale`.
import { computed, reactive, ref, watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { onBeforeRouteLeave, useRoute, useRouter, type RouteLocationRaw } from 'vue-router'
import { ElMessage, ElMessageBox } from 'element-plus'
import type { ApiError } from '@/api/client'
import { messageOf, showRefusal } from '@/problems'
import { errorsByLoc } from '@/rules/api'

export interface ItemEditorOptions<S extends { version: number; name: string; enabled: boolean }, D extends { name: string; enabled: boolean }, T extends string> {
  texts: string
  /** The tabs; the first is the settings, where a refused save goes. */
  tabs: readonly T[]
  /** The item's id (null until a new one is saved). */
  id: Ref<number | null>
  saved: Ref<S | null>
  draft: Ref<D>
  draftOf: (s: S) => D
  errors: Ref<Record<string, string>>
  loading: Ref<boolean>
  loadError: Ref<string>
  saving: Ref<boolean>
  /** Saves the item as saved with its switch turned. */
  saveEnabled: (s: S, on: boolean) => Promise<S>
  /** Deletes the item. */
  remove: (id: number) => Promise<void>
  /** Where the page goes once the item is deleted. */
  afterRemove: () => RouteLocationRaw
  /** The editor's route name: going to the same item again is not leaving it. */
  routeName: string
  /** A new item with nothing yet worth asking about. */
  untouched: () => boolean
}

export function useItemEditor<S extends { version: number; name: string; enabled: boolean }, D extends { name: string; enabled: boolean }, T extends string>(o: ItemEditorOptions<S, D, T>) {
  const { t } = useI18n()
  const route = useRoute()
  const router = useRouter()
  const { id, saved, draft } = o

  const asked = route.query.tab as T
  const tab = ref(o.tabs.includes(asked) ? asked : o.tabs[0]) as Ref<T>
  watch(tab, (v) => router.replace({ query: { ...route.query, tab: v === o.tabs[0] ? undefined : v } }))

  const dirty = computed(() => JSON.stringify(draft.value) !== JSON.stringify(saved.value ? o.draftOf(saved.value) : null))
  const toggling = ref(false)

  async function setEnabled(on: boolean): Promise<void> {
    if (!saved.value || id.value === null) {
      draft.value.enabled = on
      return
    }
    toggling.value = true
    try {
      const reply = await o.saveEnabled(saved.value, on)
      saved.value = reply
      draft.value = { ...draft.value, enabled: reply.enabled }
      ElMessage.success(t(`${o.texts}.${on ? 'enabled_msg' : 'disabled_msg'}`, { name: reply.name }))
    } catch (e) {
      ElMessage.error(messageOf(e))
    } finally {
      toggling.value = false
    }
  }

  /** After a failed save: a refusal puts its errors on the inputs (true), anything else is said. */
  function saveFailed(e: unknown): boolean {
    const invalid = (x: ApiError): Record<string, string> => {
      o.errors.value = errorsByLoc(x)
      tab.value = o.tabs[0]
      return o.errors.value
    }
    return showRefusal(e, { stale: t(`${o.texts}.stale`), invalid, fix: t(`${o.texts}.fix_errors`) }) === 'invalid'
  }

  let skipGuard = false
  async function remove(): Promise<void> {
    if (id.value === null) return
    try {
      await ElMessageBox.confirm(t(`${o.texts}.delete_confirm`, { name: draft.value.name }), t('common.confirm'), { type: 'warning', confirmButtonText: t('common.delete'), cancelButtonText: t('common.cancel') })
    } catch {
      return
    }
    try {
      await o.remove(id.value)
      skipGuard = true
      ElMessage.success(t(`${o.texts}.deleted`))
      router.push(o.afterRemove())
    } catch (e) {
      ElMessage.error(messageOf(e))
    }
  }

  onBeforeRouteLeave(async (to) => {
    if (skipGuard || !dirty.value || o.loadError.value || (to.name === o.routeName && id.value !== null && Number(to.params.id) === id.value)) return true
    if (id.value === null && o.untouched()) return true
    try {
      await ElMessageBox.confirm(t(`${o.texts}.leave_unsaved`), t('common.confirm'), { type: 'warning', confirmButtonText: t(`${o.texts}.leave`), cancelButtonText: t('common.cancel') })
      return true
    } catch {
      return false
    }
  })

  /** What EditorShell shows and does, for `v-bind`. */
  const shell = reactive({
    texts: o.texts,
    name: computed(() => draft.value.name),
    isNew: computed(() => id.value === null),
    dirty,
    loading: o.loading,
    loadError: o.loadError,
    saving: o.saving,
    enabled: computed(() => draft.value.enabled),
    toggling,
    tab,
    'onUpdate:tab': (v: T) => (tab.value = v),
    onToggle: setEnabled,
    onRemove: remove,
  })

  return { tab, dirty, saveFailed, shell }
}
