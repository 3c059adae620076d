import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@tasker-bridge/core';
import { decodeParsed, encodeJson, type TaskTemplate } from '@tasker-bridge/schemas';
import type pg from 'pg';
import { namespaceProblem } from './queues.js';
import { run } from './sql/connections.js';
import { FIND_OR_CREATE_NAMESPACE, UPSERT_NAMED_TASK } from './sql/statements.js';

/**
 * Task template registration at startup, as upstream's `TaskTemplateRegistry::discover_and_register_templates`
 * does it (docs/protocol.md §7.1): every `*.yml`/`*.yaml` under the directory (recursively) is parsed as a
 * `TaskTemplate`, validated, and upserted into `tasker.task_namespaces` / `tasker.named_tasks` with
 * `configuration` = the serde JSON of the whole template. A file that fails is reported and skipped (as
 * upstream); the namespaces of the templates that registered become the worker's namespaces.
 */

export interface TemplateSource {
  /** File path, or `options.templates[i]` for in-memory templates. */
  origin: string;
  value: unknown;
}

export interface RegisteredTemplate {
  origin: string;
  template: TaskTemplate;
  namedTaskUuid: string;
}

export interface TemplateFailure {
  origin: string;
  reason: string;
}

export interface RegistrationResult {
  registered: RegisteredTemplate[];
  failed: TemplateFailure[];
  /** Sorted, de-duplicated. */
  namespaces: string[];
}

/** All `*.yml`/`*.yaml` files under `directory`, sorted for a deterministic order. */
export async function findTemplateFiles(directory: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [directory];
  while (pending.length > 0) {
    const dir = pending.shift() as string;
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (/\.ya?ml$/i.test(entry.name)) found.push(path);
    }
  }
  return found.sort();
}

export async function loadTemplateSources(directory: string): Promise<TemplateSource[]> {
  const files = await findTemplateFiles(directory);
  const sources: TemplateSource[] = [];
  if (files.length === 0) return sources;
  // Loaded only when there are files to parse: a worker given its templates as objects never needs the YAML
  // parser, and leaving it unloaded keeps ~2 MB out of its resident memory (docs/performance.md §3.4).
  const { parse: parseYaml } = await import('yaml');
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch (error) {
      value = new TemplateParseError((error as Error).message);
    }
    sources.push({ origin: file, value });
  }
  return sources;
}

class TemplateParseError {
  constructor(readonly message: string) {}
}

/**
 * Decodes with serde's rules (defaults, `depends_on` alias, unknown keys dropped) and applies the checks of
 * upstream's `register_task_template` + `TaskTemplate::validate`: non-empty name/namespace/version, every
 * dependency names a step of the template, a decision step has at least one dependency. Also rejects
 * namespaces that cannot form valid queue names (upstream `validate_queue_name`). Throws with the reason.
 */
export function decodeTemplate(value: unknown): TaskTemplate {
  if (value instanceof TemplateParseError) throw new Error(`not valid YAML: ${value.message}`);
  const template = decodeParsed('TaskTemplate', value);
  for (const key of ['name', 'namespace_name', 'version'] as const) {
    if (template[key] === '') throw new Error(`Template ${key} cannot be empty`);
  }
  const nsProblem = namespaceProblem(template.namespace_name);
  if (nsProblem !== null) throw new Error(`namespace_name '${template.namespace_name}' ${nsProblem}`);
  const names = new Set(template.steps.map((s) => s.name));
  const problems: string[] = [];
  for (const step of template.steps) {
    for (const dep of step.dependencies) {
      if (!names.has(dep)) problems.push(`Step '${step.name}' depends on non-existent step '${dep}'`);
    }
    if (step.type === 'decision' && step.dependencies.length === 0) {
      problems.push(`Decision step '${step.name}' must have at least one dependency`);
    }
  }
  if (problems.length > 0) throw new Error(`Template validation failed: ${problems.join('; ')}`);
  return template;
}

/** Registers one template: find-or-create the namespace, upsert the named task. */
export async function registerTemplate(pool: pg.Pool, template: TaskTemplate): Promise<string> {
  let nsRows = await run(pool, FIND_OR_CREATE_NAMESPACE, [template.namespace_name]);
  // A concurrent worker inserted the namespace after this statement's snapshot: read it again.
  if (nsRows.length === 0) nsRows = await run(pool, FIND_OR_CREATE_NAMESPACE, [template.namespace_name]);
  const namespaceUuid = nsRows[0]?.task_namespace_uuid;
  if (namespaceUuid === undefined)
    throw new Error(`could not find or create namespace '${template.namespace_name}'`);
  // encodeJson writes exactly what serde_json::to_value(template) writes (Rust field order, every Option).
  const configuration = encodeJson('TaskTemplate', template);
  const rows = await run(pool, UPSERT_NAMED_TASK, [
    template.name,
    template.version,
    template.description,
    namespaceUuid,
    configuration,
  ]);
  const uuid = rows[0]?.named_task_uuid;
  if (uuid === undefined) throw new Error('named task upsert returned no row');
  return uuid;
}

export async function registerTemplates(
  pool: pg.Pool,
  sources: readonly TemplateSource[],
  logger: Logger,
): Promise<RegistrationResult> {
  const result: RegistrationResult = { registered: [], failed: [], namespaces: [] };
  for (const source of sources) {
    let template: TaskTemplate;
    try {
      template = decodeTemplate(source.value);
    } catch (error) {
      const reason = (error as Error).message;
      result.failed.push({ origin: source.origin, reason });
      logger.warn({ template_file: source.origin, error: reason }, 'task template skipped: invalid');
      continue;
    }
    // Database errors are not a property of the template: let them fail the start.
    const namedTaskUuid = await registerTemplate(pool, template);
    result.registered.push({ origin: source.origin, template, namedTaskUuid });
    logger.info(
      {
        namespace: template.namespace_name,
        name: template.name,
        version: template.version,
        template_file: source.origin,
      },
      'task template registered',
    );
  }
  result.namespaces = [...new Set(result.registered.map((r) => r.template.namespace_name))].sort();
  return result;
}
