// What the properties panel's parts share: the editor, the bound table's fields, the pickers'
// lists and the latest validation problems. The page provides it; the parts inject it.
import { inject, type ComputedRef, type InjectionKey, type Ref } from 'vue'
import type { Department, Field } from '@/api/types'
import type { DiagramEditor, DiagramElement, Problem } from './types'

export interface Named {
  value: string
  label: string
}

export interface PanelContext {
  editor: DiagramEditor
  app: string
  /** Bumped on every change of the diagram: the parts read the business objects again. */
  rev: Ref<number>
  /** The fields of the table the process is bound to (none while unbound). */
  fields: ComputedRef<Field[]>
  tables: ComputedRef<Named[]>
  roles: Ref<Named[]>
  departments: Ref<Department[]>
  problems: Ref<Problem[]>
  /** The user tasks of the diagram (for "same as step", return targets). */
  steps: ComputedRef<Named[]>
  /** Ask for a validation soon (a condition or formula changed). */
  validateSoon: () => void
  select: (el: DiagramElement) => void
}

export const PANEL: InjectionKey<PanelContext> = Symbol('process-panel')

export function usePanel(): PanelContext {
  const ctx = inject(PANEL)
  if (!ctx) throw new Error('the properties panel needs its context')
  return ctx
}
