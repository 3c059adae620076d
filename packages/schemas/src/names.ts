import { WIRE_TYPE_NAMES } from './generated/schemas.js';
import type { WireTypeMap } from './generated/types.js';

/** The name of a wire type: the schema file name, the TS type name, and the Rust type's name. */
export type WireTypeName = keyof WireTypeMap;

export { WIRE_TYPE_NAMES };

const known: ReadonlySet<string> = new Set(WIRE_TYPE_NAMES);

export function isWireTypeName(name: string): name is WireTypeName {
  return known.has(name);
}
