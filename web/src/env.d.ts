/// <reference types="vite/client" />
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
declare module 'vuedraggable'
declare module 'bpmn-auto-layout' {
  /** The BPMN XML with diagram interchange (shapes and edges) generated for its first process. */
  export function layoutProcess(xml: string): Promise<string>
}
