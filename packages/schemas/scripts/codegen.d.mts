// Types for codegen.mjs (plain ESM so `npm run codegen` needs no build), for the drift test.

/** packages/schemas/schemas: one JSON Schema per wire type. */
export declare const schemaDir: string;
/** packages/schemas/src/generated: the committed generated files. */
export declare const generatedDir: string;

/** Every schema in schemas/, keyed by title, in file-name order. */
export declare function loadSchemas(): Promise<Record<string, Record<string, unknown>>>;

/** `{ fileName: content }` for every file of src/generated/. */
export declare function generateFiles(): Promise<Record<string, string>>;
