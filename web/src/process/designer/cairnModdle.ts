// The `cairn:` BPMN extension (namespace https://cairn.dev/bpmn) as a moddle descriptor, so
// bpmn-js reads and writes Cairn's settings as typed elements (process/model.py reads the same
// XML on the server). Types serialize lower-cased: `Binding` is `<cairn:binding>`.

const attr = (name: string, type = 'String') => ({ name, isAttr: true, type })

export const cairnDescriptor = {
  name: 'Cairn',
  uri: 'https://cairn.dev/bpmn',
  prefix: 'cairn',
  xml: { tagAlias: 'lowerCase' },
  associations: [],
  types: [
    { name: 'Binding', superClass: ['Element'], properties: [attr('table'), attr('autoStart')] },
    { name: 'Starters', superClass: ['Element'], properties: [attr('roles'), attr('departments'), attr('users')] },
    { name: 'Assignee', superClass: ['Element'], properties: [attr('type'), attr('value')] },
    { name: 'Candidates', superClass: ['Element'], properties: [attr('role'), attr('department')] },
    {
      name: 'Form',
      superClass: ['Element'],
      properties: [{ name: 'fields', isMany: true, type: 'Field' }],
    },
    { name: 'Field', superClass: ['Element'], properties: [attr('key'), attr('access'), attr('required')] },
    {
      name: 'Deadline',
      superClass: ['Element'],
      properties: [attr('duration'), attr('field'), attr('calendar'), attr('reminder')],
    },
    { name: 'Escalation', superClass: ['Element'], properties: [attr('after'), attr('notify'), attr('reassign')] },
    { name: 'Sign', superClass: ['Element'], properties: [attr('mode')] },
    { name: 'Return', superClass: ['Element'], properties: [attr('policy')] },
    { name: 'Reject', superClass: ['Element'], properties: [attr('outcome')] },
    {
      name: 'Actions',
      superClass: ['Element'],
      properties: [attr('allow'), attr('returnTo'), attr('commentRequired')],
    },
    {
      name: 'Action',
      superClass: ['Element'],
      properties: [
        attr('type'),
        { name: 'body', isBody: true, type: 'String' },
        // `<cairn:param name= value=>` children add top-level keys to the action (model.py).
        { name: 'params', isMany: true, type: 'Param' },
      ],
    },
    { name: 'Param', superClass: ['Element'], properties: [attr('name'), attr('value')] },
    { name: 'Variable', superClass: ['Element'], properties: [attr('name'), attr('type')] },
  ],
}
