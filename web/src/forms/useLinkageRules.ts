// A form's linkage rules as the designer edits them (forms/RulesEditor.vue): the draft, whether it
// differs from the rules as saved, the server's errors at their inputs, the sections a show/hide
// action may name, and saving the rules together with the canvas as it is.
import { computed, ref, watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ElMessage } from 'element-plus'
import type { FormRule, Layout } from '@/api/types'
import { fieldErrorsOf, showRefusal } from '@/problems'
import type LayoutEditor from './LayoutEditor.vue'
import { ruleDrafts, rulesBody, rulesErrors, type RuleDraft } from './model'

export interface LinkageRulesOptions {
  /** The form's rules as saved. */
  saved: Ref<FormRule[]>
  editor: Ref<InstanceType<typeof LayoutEditor> | null>
  /** Save the form's layout and read the form again; throws what the API refused. */
  put: (layout: Layout) => Promise<void>
  /** Run a save after the saves before it. */
  enqueue: (job: () => Promise<void>) => Promise<void>
  /** The form was saved elsewhere since it was read: show it as it is now. */
  stale: () => Promise<void>
}

export function useLinkageRules(o: LinkageRulesOptions) {
  const { t } = useI18n()
  const draft = ref<RuleDraft[]>([])
  const base = ref('[]')
  const errors = ref<Record<string, string>>({})
  const saving = ref(false)
  const dirty = computed(() => JSON.stringify(rulesBody(draft.value)) !== base.value)
  /** Moves on when the rules were saved (for "try it", to read the form again). */
  const revision = ref(0)

  function reset(): void {
    draft.value = ruleDrafts(o.saved.value)
    base.value = JSON.stringify(rulesBody(draft.value))
    errors.value = {}
  }
  // The rules as saved changed under a draft nobody touched (the table was read again): show them.
  watch(
    () => JSON.stringify(o.saved.value),
    () => {
      if (!dirty.value) reset()
    },
  )

  /** The form's sections as a show/hide action names them: by key, or ``#<index>`` for one
   *  without a key yet, which gets one as soon as an action names it (below). */
  const sections = computed(() =>
    (o.editor.value?.sectionsShown ?? []).map((s, i) => ({ value: s.key || `#${i}`, label: s.title || t('forms.section_n', { n: i + 1 }) })),
  )
  watch(
    draft,
    (rules) => {
      for (const a of rules.flatMap((r) => r.actions)) {
        if (!a.sections.some((ref) => ref.startsWith('#'))) continue
        a.sections = a.sections.map((ref) => (ref.startsWith('#') ? o.editor.value?.keySection(Number(ref.slice(1))) ?? ref : ref))
      }
    },
    { deep: true },
  )

  async function save(): Promise<void> {
    const arr = o.editor.value?.settled()
    if (!arr) return
    const rules = rulesBody(draft.value)
    saving.value = true
    errors.value = {}
    await o.enqueue(async () => {
      try {
        await o.put({ sections: arr.sections, rules })
        reset()
        revision.value++
        ElMessage.success(t('forms.rules_saved'))
      } catch (e) {
        const invalid = (x: unknown): Record<string, string> => (errors.value = rulesErrors(fieldErrorsOf(x)))
        if (showRefusal(e, { invalid, fix: t('forms.fix_errors') }) === 'stale') await o.stale() // the draft stays
      } finally {
        saving.value = false
      }
    })
  }

  return { draft, errors, saving, dirty, revision, reset, sections, save }
}
