import { inject, provide, ref, type InjectionKey, type Ref } from 'vue'

/** A form's field errors by key (``fieldErrorsOf``), for editors that show errors inside
 *  themselves: a sub-form marks the cell of ``<field>.<row>.<column>``. */
const KEY: InjectionKey<Ref<Record<string, string>>> = Symbol('fieldErrors')

/** Called by a page with a form: its errors, for the editors in it. */
export function provideFieldErrors(errors: Ref<Record<string, string>>): void {
  provide(KEY, errors)
}

/** The errors of the form an editor is in (none outside a form that provides them). */
export function useFieldErrors(): Ref<Record<string, string>> {
  return inject(KEY, () => ref<Record<string, string>>({}), true)
}
