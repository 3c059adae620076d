// Type-checks modules that exist only in memory (README examples) as if they were files of the repository, with
// the repository's own compiler settings (tsconfig.base.json) and the workspace packages' sources through the
// `@tasker-bridge/source` condition it sets, so no build is needed. One program for all of them: the packages'
// sources are parsed once, and the checker only looks at what the examples reach.
import { join } from 'node:path';
import ts from 'typescript';

/** A module to check: `fileName` is an absolute path where it would live (its imports resolve from there). */
export interface VirtualModule {
  fileName: string;
  code: string;
}

/** One compiler error in a virtual module; `line` and `column` are 1-based within the module's code. */
export interface ModuleDiagnostic {
  line: number;
  column: number;
  message: string;
}

/** The compiler options of `tsconfig.base.json`, for checking only (no output, no project-reference settings). */
function checkOptions(root: string): ts.CompilerOptions {
  const configFile = join(root, 'tsconfig.base.json');
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configFile);
  return {
    ...parsed.options,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    incremental: false,
  };
}

/** Every syntactic and semantic error of each virtual module, by file name (an empty list when it compiles). */
export function typecheckModules(root: string, modules: VirtualModule[]): Map<string, ModuleDiagnostic[]> {
  const options = checkOptions(root);
  const virtual = new Map(modules.map((m) => [m.fileName, m.code]));
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (name) => virtual.has(name) || fileExists.call(host, name);
  host.readFile = (name) => virtual.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const code = virtual.get(name);
    if (code === undefined) return getSourceFile.call(host, name, languageVersion, onError, shouldCreate);
    return ts.createSourceFile(name, code, languageVersion, true);
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (global.length > 0) {
    throw new Error(ts.formatDiagnostics(global, host));
  }
  const results = new Map<string, ModuleDiagnostic[]>();
  for (const fileName of virtual.keys()) {
    const source = program.getSourceFile(fileName);
    if (!source) throw new Error(`${fileName} is not part of the program`);
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    results.set(
      fileName,
      diagnostics.map((d) => {
        const { line, character } = source.getLineAndCharacterOfPosition(d.start ?? 0);
        return {
          line: line + 1,
          column: character + 1,
          message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
        };
      }),
    );
  }
  return results;
}
