// Diagram layout for BPMN files that have none (no bpmndi shapes: processes written by hand,
// deployed through the API or an app package). bpmn-auto-layout computes the shapes and edges;
// only its bpmndi:BPMNDiagram is taken and grafted onto the original XML, so everything else
// in the file (Cairn's `cairn:` extension elements, conditions, other vendors' attributes,
// comments) stays exactly as it was. bpmn-auto-layout is loaded with import() only when a file
// needs it (it lands in the bpmn chunk, see vite.config.ts).

const BPMN = 'http://www.omg.org/spec/BPMN/20100524/MODEL'
const BPMNDI = 'http://www.omg.org/spec/BPMN/20100524/DI'
const XMLNS = 'http://www.w3.org/2000/xmlns/'
/** The prefixes bpmn-auto-layout writes its DI with, and their namespaces. */
const DI_PREFIXES: Record<string, string> = {
  bpmndi: BPMNDI,
  dc: 'http://www.omg.org/spec/DD/20100524/DC',
  di: 'http://www.omg.org/spec/DD/20100524/DI',
}
/** Flow nodes: the elements of a process the diagram draws as shapes. */
const FLOW_NODE = /(Task|Event|Gateway)$|^(task|subProcess|adHocSubProcess|transaction|callActivity)$/
const CONTAINERS = new Set(['process', 'subProcess', 'adHocSubProcess', 'transaction'])

function parse(xml: string): Document | null {
  const doc = new DOMParser().parseFromString(xml, 'application/xml')
  return doc.getElementsByTagName('parsererror').length ? null : doc
}

/** The flow nodes of every process (and of the sub-processes in them), by id. */
function flowNodes(doc: Document): Map<string, Element> {
  const nodes = new Map<string, Element>()
  const walk = (container: Element): void => {
    for (const el of Array.from(container.children)) {
      if (el.namespaceURI !== BPMN) continue
      const id = el.getAttribute('id')
      if (id && FLOW_NODE.test(el.localName)) nodes.set(id, el)
      if (CONTAINERS.has(el.localName)) walk(el)
    }
  }
  for (const p of Array.from(doc.getElementsByTagNameNS(BPMN, 'process'))) walk(p)
  return nodes
}

/** Whether some flow node of the file has no shape to draw it with. */
export function needsLayout(xml: string): boolean {
  const doc = parse(xml)
  if (!doc) return false
  const nodes = flowNodes(doc)
  const shaped = new Set(Array.from(doc.getElementsByTagNameNS(BPMNDI, 'BPMNShape')).map((s) => s.getAttribute('bpmnElement')))
  return [...nodes.keys()].some((id) => !shaped.has(id))
}

/** The file as bpmn-auto-layout needs it: it follows a node's `bpmn:incoming`/`bpmn:outgoing`
 * references (which bpmn-js writes but a hand-written file usually leaves out), so they are
 * added from the sequence flows' sourceRef/targetRef. */
function withFlowReferences(doc: Document): string {
  const copy = doc.cloneNode(true) as Document
  const nodes = flowNodes(copy)
  const listed = (node: Element, kind: string, flow: string): boolean =>
    Array.from(node.children).some((c) => c.namespaceURI === BPMN && c.localName === kind && c.textContent?.trim() === flow)
  const prefix = copy.documentElement.lookupPrefix(BPMN)
  for (const flow of Array.from(copy.getElementsByTagNameNS(BPMN, 'sequenceFlow'))) {
    const id = flow.getAttribute('id')
    if (!id) continue
    for (const [ref, kind] of [['sourceRef', 'outgoing'], ['targetRef', 'incoming']] as const) {
      const node = nodes.get(flow.getAttribute(ref) ?? '')
      if (!node || listed(node, kind, id)) continue
      const el = copy.createElementNS(BPMN, prefix ? `${prefix}:${kind}` : kind)
      el.textContent = id
      node.appendChild(el)
    }
  }
  return new XMLSerializer().serializeToString(copy)
}

/** The XML with a diagram layout: untouched when its flow nodes all have shapes (or it is not
 * well-formed XML, which the caller's import reports), else with a generated bpmndi diagram in
 * place of the incomplete one. */
export async function withLayout(xml: string): Promise<string> {
  const doc = parse(xml)
  if (!doc || !needsLayout(xml)) return xml
  const { layoutProcess } = await import('bpmn-auto-layout')
  const laidOut = parse(await layoutProcess(withFlowReferences(doc)))
  const diagrams = laidOut ? Array.from(laidOut.getElementsByTagNameNS(BPMNDI, 'BPMNDiagram')) : []
  if (!diagrams.length) return xml
  const root = doc.documentElement
  for (const old of Array.from(doc.getElementsByTagNameNS(BPMNDI, 'BPMNDiagram'))) old.remove()
  for (const [prefix, ns] of Object.entries(DI_PREFIXES)) {
    // Declared once on the root (unless the file uses the prefix for something else: then the
    // serializer declares the namespace where it is used).
    if (!root.lookupNamespaceURI(prefix)) root.setAttributeNS(XMLNS, `xmlns:${prefix}`, ns)
  }
  for (const d of diagrams) {
    root.appendChild(doc.createTextNode('\n  '))
    root.appendChild(doc.importNode(d, true))
  }
  root.appendChild(doc.createTextNode('\n'))
  const head = /^\s*<\?xml[^>]*\?>/.exec(xml)?.[0].trim()
  const body = new XMLSerializer().serializeToString(doc)
  return head && !body.startsWith('<?xml') ? `${head}\n${body}` : body
}
