// The bpmn-js modeler with Cairn's moddle extension, and the few operations the designer needs.
// This module is loaded with import() by the designer page only: bpmn-js and its CSS land in
// their own chunk, so no other page downloads them.
import Modeler from 'bpmn-js/lib/Modeler'
import 'bpmn-js/dist/assets/diagram-js.css'
import 'bpmn-js/dist/assets/bpmn-js.css'
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css'
import './designer.css'
import { cairnDescriptor } from './cairnModdle'
import type { Bo, DiagramEditor, DiagramElement, ElementProblems } from './types'

export const PROBLEM_MARKER = 'cairn-problem'
/** Only warnings on the element (orange): they do not block deploying. */
export const WARNING_MARKER = 'cairn-warning'

/** Fit the whole diagram in view, centred in the part of the canvas right of the palette (a
 * plain fit-viewport puts the first shapes under it), never zoomed in past 100%. */
function fitBesidePalette(canvas: any, container: HTMLElement): void {
  canvas.zoom('fit-viewport', 'auto')
  const { inner, outer } = canvas.viewbox()
  if (!inner.width || !inner.height || !outer.width || !outer.height) return
  const palette = container.querySelector('.djs-palette')?.getBoundingClientRect()
  const left = palette ? palette.right - container.getBoundingClientRect().left + 16 : 0
  const pad = 24
  const w = outer.width - left - pad
  const h = outer.height - 2 * pad
  if (w <= 0 || h <= 0) return
  const scale = Math.min(1, w / inner.width, h / inner.height)
  canvas.viewbox({
    x: inner.x - (left + (w - inner.width * scale) / 2) / scale,
    y: inner.y - (outer.height - inner.height * scale) / 2 / scale,
    width: outer.width / scale,
    height: outer.height / scale,
  })
}

export function createEditor(container: HTMLElement): DiagramEditor {
  const modeler: any = new Modeler({
    container,
    moddleExtensions: { cairn: cairnDescriptor },
    keyboard: { bindTo: container },
  })
  const get = <T = any>(name: string): T => modeler.get(name)
  let marked: string[] = []
  let overlays: string[] = []

  const editor: DiagramEditor = {
    modeler,
    async importXml(xml: string): Promise<string[]> {
      const res = await modeler.importXML(xml)
      fitBesidePalette(get<any>('canvas'), container)
      marked = []
      overlays = []
      return (res.warnings ?? []).map((w: any) => String(w.message ?? w))
    },
    async exportXml(): Promise<string> {
      const { xml } = await modeler.saveXML({ format: true })
      return xml
    },
    element(id: string): DiagramElement | undefined {
      return get<any>('elementRegistry').get(id)
    },
    elements(): DiagramElement[] {
      return get<any>('elementRegistry').getAll()
    },
    root(): DiagramElement {
      return get<any>('canvas').getRootElement()
    },
    process(): { element: DiagramElement; bo: Bo } | null {
      const root = editor.root()
      const bo = root.businessObject
      if (bo?.$type === 'bpmn:Process') return { element: root, bo }
      // A collaboration (pools): the first participant's process.
      const participant = editor.elements().find((e) => e.type === 'bpmn:Participant' && e.businessObject.processRef)
      return participant ? { element: participant, bo: participant.businessObject.processRef } : null
    },
    create(type: string, props: Record<string, unknown> = {}): Bo {
      return get<any>('moddle').create(type, props)
    },
    update(element: DiagramElement, props: Record<string, unknown>): void {
      get<any>('modeling').updateProperties(element, props)
    },
    updateBo(element: DiagramElement, bo: Bo, props: Record<string, unknown>): void {
      get<any>('modeling').updateModdleProperties(element, bo, props)
    },
    setExtensions(element: DiagramElement, bo: Bo, type: string, items: Bo[]): void {
      // Replace the extension elements of one type (the rest, e.g. Camunda's, stay as they are).
      const modeling = get<any>('modeling')
      let ext = bo.get('extensionElements')
      if (!ext) {
        if (!items.length) return
        ext = editor.create('bpmn:ExtensionElements', { values: [] })
        ext.$parent = bo
        modeling.updateModdleProperties(element, bo, { extensionElements: ext })
      }
      for (const item of items) item.$parent = ext
      const values = (ext.get('values') as Bo[]).filter((v) => v.$type !== type)
      const first = (ext.get('values') as Bo[]).findIndex((v) => v.$type === type)
      const at = first < 0 ? values.length : first
      modeling.updateModdleProperties(element, ext, { values: [...values.slice(0, at), ...items, ...values.slice(at)] })
    },
    select(id: string): void {
      const el = editor.element(id)
      if (!el) return
      get<any>('selection').select(el)
      if (el !== editor.root()) get<any>('canvas').scrollToElement(el)
    },
    selected(): DiagramElement | null {
      return get<any>('selection').get()[0] ?? null
    },
    markProblems(problems: ElementProblems[]): void {
      const canvas = get<any>('canvas')
      const overlayService = get<any>('overlays')
      for (const id of marked) {
        if (!editor.element(id)) continue
        canvas.removeMarker(id, PROBLEM_MARKER)
        canvas.removeMarker(id, WARNING_MARKER)
      }
      for (const o of overlays) overlayService.remove(o)
      marked = []
      overlays = []
      for (const p of problems) {
        const el = p.element ? editor.element(p.element) : undefined
        if (!el || el === editor.root()) continue
        canvas.addMarker(el.id, p.warning ? WARNING_MARKER : PROBLEM_MARKER)
        marked.push(el.id)
        const badge = document.createElement('div')
        badge.className = p.warning ? 'cairn-problem-badge warning' : 'cairn-problem-badge'
        badge.textContent = String(p.count)
        badge.dataset.test = 'problem-badge'
        const position = el.waypoints ? { top: -10, left: -10 } : { top: -10, right: 10 }
        overlays.push(overlayService.add(el.id, 'problem', { position, html: badge }))
      }
    },
    on(event: string, cb: (e: any) => void): void {
      modeler.on(event, cb)
    },
    undo(): void {
      get<any>('commandStack').undo()
    },
    redo(): void {
      get<any>('commandStack').redo()
    },
    canUndo(): boolean {
      return get<any>('commandStack').canUndo()
    },
    canRedo(): boolean {
      return get<any>('commandStack').canRedo()
    },
    fit(): void {
      fitBesidePalette(get<any>('canvas'), container)
    },
    destroy(): void {
      modeler.destroy()
    },
  }
  return editor
}
