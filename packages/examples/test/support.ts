import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HandlerRegistry } from '@tasker-bridge/core';
import { type RunHandlerOptions, runHandler } from '@tasker-bridge/core/testing';
import { decodeParsed, type TaskTemplate } from '@tasker-bridge/schemas';
import { parse } from 'yaml';
import { registerExampleHandlers, templatesDir } from '../src/index.js';

export const registry = registerExampleHandlers(new HandlerRegistry());

export const fixtures = new URL('./fixtures/', import.meta.url).pathname;
export const productsCsv = join(fixtures, 'products.csv');
export const emptyCsv = join(fixtures, 'products_empty.csv');

export function templateFiles(dir = templatesDir): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => relative(templatesDir, join(e.parentPath, e.name)))
    .sort();
}

export function loadTemplate(namespace: string, name: string): TaskTemplate {
  const raw = parse(readFileSync(join(templatesDir, namespace, `${name}.yaml`), 'utf8'));
  return decodeParsed('TaskTemplate', raw);
}

/** Runs one template step through `runStep` with every example handler registered. */
export function runTemplateStep(template: TaskTemplate, stepName: string, options: RunHandlerOptions = {}) {
  return runHandler(registry, { template, stepName, ...options });
}
