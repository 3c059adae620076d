import { decodeJson, type TaskTemplate } from '@tasker-bridge/schemas';

/**
 * Decoded task templates, keyed by the exact JSON text of `named_tasks.configuration`. Every step of a
 * namespace carries the same template, and decoding it (serde rules plus schema validation) cost more client
 * CPU than the rest of a step's hydration; the text is the key, so a re-registered template is simply a new
 * entry. Bounded: the oldest entry goes first.
 *
 * Every step of the template is handed its step definition from here (`hydrate.ts`), one object shared by all
 * of them, so a decoded template is frozen, deeply: a handler that writes to its `step_definition` (or to its
 * `handler.initialization`, the context's `stepConfig`) gets a TypeError instead of changing what every later
 * step sees.
 */
export class TemplateCache {
  readonly #entries = new Map<string, TaskTemplate>();

  constructor(readonly maxEntries = 256) {}

  /** The decoded template; throws the decoder's error for text that is not a valid `TaskTemplate`. */
  decode(text: string): TaskTemplate {
    const hit = this.#entries.get(text);
    if (hit !== undefined) return hit;
    const template = deepFreeze(decodeJson('TaskTemplate', text));
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(text, template);
    return template;
  }

  get size(): number {
    return this.#entries.size;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
