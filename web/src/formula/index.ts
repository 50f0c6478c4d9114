// The formula language in the browser: the evaluator of the server's typed syntax trees and
// a form's linkage rules run live (see linkage.ts).
export { compile, functionsOf, type Node } from './evaluate'
export { FUNCTION_KEYS, FUNCTIONS, type Env } from './functions'
export { envOf, formulaValue, inputValue, Linkage, type EnvJSON, type FormState, type LinkageJSON } from './linkage'
