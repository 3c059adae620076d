// The JSON data a `serde_json::Value` holds, as our decoders hand it to TypeScript, and the one safe way to add
// a member to such an object.

/**
 * A `serde_json::Value` as decoded here: integers beyond ±(2^53 − 1) that fit i64 or u64 are `bigint` (Rust
 * keeps them exact, JS numbers would round them); every other number is a `number`. Object keys are own data
 * properties, `__proto__` and `constructor` included.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;

export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * `target[key] = value` as an own enumerable data property. Plain assignment to `__proto__` calls the
 * `Object.prototype` setter instead: the value would become the object's prototype and vanish from the data.
 */
export function setMember(target: object, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    (target as Record<string, unknown>)[key] = value;
  }
}
