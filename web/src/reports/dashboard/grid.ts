// The dashboard grid: 12 columns, rows of 40 px; a widget's ``layout`` (x, y, w, h in grid
// units, as the API stores it) ↔ grid-layout-plus's items.
import type { WidgetSpec } from './api'

export const COLS = 12
export const ROW_HEIGHT = 40
export const MARGIN = 12

export interface GridItem {
  i: string
  x: number
  y: number
  w: number
  h: number
  minW?: number
  minH?: number
  dragAllowFrom?: string
}

/** The grid items of the widgets; a width wider than the grid is cut to it. */
export function layoutOf(widgets: WidgetSpec[]): GridItem[] {
  return widgets.map((w) => {
    const l = w.layout ?? { x: 0, y: 0, w: 4, h: 4 }
    const width = Math.max(1, Math.min(l.w ?? 4, COLS))
    return {
      i: w.id,
      x: Math.max(0, Math.min(l.x ?? 0, COLS - width)),
      y: l.y ?? 0,
      w: width,
      h: l.h ?? 4,
      minW: 2,
      minH: 2,
      dragAllowFrom: '.drag-handle',
    }
  })
}

/** The widget with the position the grid gives it now. */
export function withLayout(w: WidgetSpec, items: GridItem[]): WidgetSpec {
  const it = items.find((x) => x.i === w.id)
  return it ? { ...w, layout: { x: it.x, y: it.y, w: it.w, h: it.h } } : w
}

/** Reading order (top to bottom, left to right): how the widgets stack on a phone. */
export function stackOrder(widgets: WidgetSpec[]): WidgetSpec[] {
  return [...widgets].sort((a, b) => (a.layout?.y ?? 0) - (b.layout?.y ?? 0) || (a.layout?.x ?? 0) - (b.layout?.x ?? 0))
}
