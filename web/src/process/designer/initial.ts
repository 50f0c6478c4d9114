// The diagram a new process starts from: start → one user task → end, bound to a table. The
// task is the initiator's own submission: it can only be sent on (shown as "submit", not as
// approve / reject / transfer of one's own request).

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function initialDiagram(opts: { id: string; name: string; table: string; start: string; task: string; end: string }): string {
  const { id, name, table } = opts
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:cairn="https://cairn.dev/bpmn" id="Definitions_${esc(id)}" targetNamespace="https://cairn.dev/bpmn/processes">
  <bpmn:process id="${esc(id)}" name="${esc(name)}" isExecutable="true">
    <bpmn:extensionElements>
      <cairn:binding table="${esc(table)}" autoStart="manual" />
    </bpmn:extensionElements>
    <bpmn:startEvent id="start" name="${esc(opts.start)}">
      <bpmn:outgoing>flow_start</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="submit" name="${esc(opts.task)}">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator" />
        <cairn:actions allow="approve" />
      </bpmn:extensionElements>
      <bpmn:incoming>flow_start</bpmn:incoming>
      <bpmn:outgoing>flow_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end" name="${esc(opts.end)}">
      <bpmn:incoming>flow_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="submit" />
    <bpmn:sequenceFlow id="flow_end" sourceRef="submit" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_${esc(id)}">
    <bpmndi:BPMNPlane id="Plane_${esc(id)}" bpmnElement="${esc(id)}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="142" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="submit_di" bpmnElement="submit"><dc:Bounds x="250" y="120" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="432" y="142" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_di" bpmnElement="flow_start"><di:waypoint x="188" y="160" /><di:waypoint x="250" y="160" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_end_di" bpmnElement="flow_end"><di:waypoint x="350" y="160" /><di:waypoint x="432" y="160" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`
}
