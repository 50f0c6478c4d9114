// The filter builder's model and its translation to the API's filter tree.
import type { Field, FilterNode } from '@/api/types'
import { NO_VALUE_OPS } from '@/registries/fieldTypes/types'

export interface Condition {
  kind: 'cond'
  field: string
  op: string
  value: unknown
}
export interface Group {
  kind: 'and' | 'or'
  items: (Condition | Group)[]
}

export function emptyGroup(kind: 'and' | 'or' = 'and'): Group {
  return { kind, items: [] }
}

function complete(c: Condition): boolean {
  if (!c.field || !c.op) return false
  if (NO_VALUE_OPS.has(c.op)) return true
  const v = c.value
  if (v === null || v === undefined || v === '') return false
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => x !== null && x !== undefined && x !== '')
  return true
}

/** The API tree, leaving out conditions not filled in yet; null when nothing filters. */
export function toApi(g: Group): FilterNode | null {
  const nodes: FilterNode[] = []
  for (const it of g.items) {
    if (it.kind === 'cond') {
      if (!complete(it)) continue
      nodes.push(NO_VALUE_OPS.has(it.op) ? { field: it.field, op: it.op } : { field: it.field, op: it.op, value: it.value })
    } else {
      const sub = toApi(it)
      if (sub) nodes.push(sub)
    }
  }
  if (!nodes.length) return null
  if (nodes.length === 1) return nodes[0]
  return g.kind === 'and' ? { and: nodes } : { or: nodes }
}

export function countConditions(g: Group): number {
  return g.items.reduce((n, it) => n + (it.kind === 'cond' ? (complete(it) ? 1 : 0) : countConditions(it)), 0)
}

export function defaultValue(field: Field | undefined, op: string): unknown {
  if (NO_VALUE_OPS.has(op)) return null
  if (op === 'last_n_days' || op === 'next_n_days') return 7
  if (op === 'in' || op === 'not_in' || op.startsWith('has_')) return []
  if (op === 'between') return [null, null]
  if (field?.type === 'boolean') return true
  return null
}

/** The builder's model of an API tree (the inverse of toApi). */
export function fromApi(node: FilterNode | null | undefined): Group {
  if (!node) return emptyGroup()
  if ('and' in node) return { kind: 'and', items: node.and.map(item) }
  if ('or' in node) return { kind: 'or', items: node.or.map(item) }
  return { kind: 'and', items: [item(node)] }
}

function item(node: FilterNode): Condition | Group {
  if ('and' in node || 'or' in node) return fromApi(node)
  return { kind: 'cond', field: node.field, op: node.op, value: node.value ?? null }
}
