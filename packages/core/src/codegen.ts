// @tasker-bridge/core/codegen — TypeScript handler types from a task template. Its own entry point because it
// needs json-schema-to-typescript (an optional peer dependency, with prettier and more), which handlers at run
// time never do: `npm install --save-dev json-schema-to-typescript` where you generate code.
export { type GenerateHandlerTypesOptions, generateHandlerTypes } from './typed/codegen.js';
