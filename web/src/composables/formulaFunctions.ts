// The formula language's functions as ``GET /formula/functions`` describes them, for the help of
// every formula input: asked for once and shared (the list is the server's, the same on every
// page); when the request fails the help is left out and the next input shown asks again.
import { shallowRef, type Ref } from 'vue'
import { api } from '@/api/client'
import { paths } from '@/api/paths'
import type { FormulaFunction } from '@/api/types'

const functions = shallowRef<FormulaFunction[]>([])
let loaded = false
let asking: Promise<void> | null = null

export function useFormulaFunctions(): Readonly<Ref<FormulaFunction[]>> {
  if (!loaded && !asking) {
    asking = api
      .get<{ items: FormulaFunction[] }>(paths.formulaFunctions())
      .then((r) => {
        functions.value = r.items
        loaded = true
      })
      .catch(() => undefined)
      .finally(() => (asking = null))
  }
  return functions
}
