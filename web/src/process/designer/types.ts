// The designer's view of bpmn-js, typed loosely (bpmn-js's own types are not exact about
// moddle elements): what the page and the properties panel use.

/** A moddle element (a business object): `$type`, `get(name)`, its properties. */
export type Bo = any
/** A shape or connection on the canvas: `id`, `type`, `businessObject`, ... */
export type DiagramElement = any

export interface DiagramEditor {
  modeler: any
  importXml(xml: string): Promise<string[]>
  exportXml(): Promise<string>
  element(id: string): DiagramElement | undefined
  elements(): DiagramElement[]
  root(): DiagramElement
  process(): { element: DiagramElement; bo: Bo } | null
  create(type: string, props?: Record<string, unknown>): Bo
  update(element: DiagramElement, props: Record<string, unknown>): void
  updateBo(element: DiagramElement, bo: Bo, props: Record<string, unknown>): void
  setExtensions(element: DiagramElement, bo: Bo, type: string, items: Bo[]): void
  select(id: string): void
  selected(): DiagramElement | null
  markProblems(problems: ElementProblems[]): void
  on(event: string, cb: (e: any) => void): void
  undo(): void
  redo(): void
  canUndo(): boolean
  canRedo(): boolean
  fit(): void
  destroy(): void
}

export interface Problem {
  element: string | null
  code: string
  message: string
  /** ``error`` blocks deploying; ``warning`` does not (e.g. a gateway with no default flow). */
  severity?: 'error' | 'warning' | string
}

/** The problems of one element on the diagram: how many, and whether they are warnings only. */
export interface ElementProblems {
  element: string | null
  count: number
  warning: boolean
}

/** The extension elements of one `cairn:` type on a business object. */
export function ext(bo: Bo, type: string): Bo[] {
  const values: Bo[] = bo?.get?.('extensionElements')?.get('values') ?? []
  return values.filter((v) => v.$type === type)
}

/** Comma-separated attribute → list (empty items dropped). */
export function csv(text: string | undefined | null): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

export const USER_TASKS = ['bpmn:UserTask', 'bpmn:ManualTask']
export const GATEWAYS = ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway']
