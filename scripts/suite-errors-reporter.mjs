// A vitest reporter for `npm test`'s summary: the errors that fail a file outside any test (a failing beforeAll or
// afterAll, an error while collecting). Vitest's JSON report leaves them out (its file `message` is empty), and
// CI keeps only the tail of a run's output, where the stack printed above is gone. Written next to the JSON
// report (`--outputFile.json=X` → `X.suite-errors.json`) as an array of `{ file, where, message }`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Where the errors of the run whose JSON report is `jsonReport` are written. */
export function suiteErrorsPath(jsonReport) {
  return `${jsonReport}.suite-errors.json`;
}

/** The errors written for `jsonReport`; none when the run wrote no file (it crashed before its end). */
export function readSuiteErrors(jsonReport) {
  const path = suiteErrorsPath(jsonReport);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : [];
}

export default class SuiteErrorsReporter {
  #path;

  onInit(vitest) {
    const json = vitest.config.outputFile?.json;
    this.#path = json ? suiteErrorsPath(json) : undefined;
  }

  onTestRunEnd(testModules, unhandledErrors) {
    if (this.#path === undefined) return;
    const entries = [];
    // The error's class names it where its message alone may not (TaskerConnectionError, TaskIdentityConflictError).
    const add = (file, where, error) =>
      entries.push({ file, where, message: `${error.name ?? 'Error'}: ${error.message ?? String(error)}` });
    for (const module of testModules) {
      for (const error of module.errors()) add(module.moduleId, '(file)', error);
      for (const suite of module.children.allSuites()) {
        for (const error of suite.errors()) add(module.moduleId, suite.fullName, error);
      }
    }
    for (const error of unhandledErrors) add(undefined, '(unhandled)', error);
    writeFileSync(this.#path, JSON.stringify(entries));
  }
}
