// A compact, serde-shaped view of each JSON Schema. The codecs walk it to know what JSON alone cannot say:
// which strings are UUIDs (bin in MessagePack), which timestamps chrono re-prints, which integers are
// 64-bit, Rust's field order, the serde defaults and aliases, and which keys are skipped when empty.
import { WIRE_SCHEMAS } from './generated/schemas.js';
import type { WireTypeName } from './names.js';

export type IntKind = 'i32' | 'u32' | 'u16' | 'i64' | 'u64';
export type StringFormat = 'uuid' | 'utc' | 'naive';

export type Shape =
  | { readonly kind: 'value' }
  | { readonly kind: 'string'; readonly format?: StringFormat }
  | { readonly kind: 'bool' }
  | { readonly kind: 'int'; readonly int: IntKind }
  | { readonly kind: 'nullable'; readonly inner: Shape }
  | { readonly kind: 'array'; readonly items: Shape }
  | { readonly kind: 'map'; readonly values: Shape }
  | { readonly kind: 'struct'; readonly fields: readonly Field[] }
  | {
      readonly kind: 'tagged';
      readonly tag: string;
      readonly variants: ReadonlyMap<string, Shape & { kind: 'struct' }>;
    };

export interface Field {
  readonly name: string;
  readonly shape: Shape;
  readonly required: boolean;
  /** `skip_serializing_if`: omit when None ("none") or when the map is empty ("empty"). */
  readonly skip?: 'none' | 'empty';
  /** serde `default` (or a container default) for an absent key on input. */
  readonly hasDefault: boolean;
  readonly defaultValue?: unknown;
  /** `StepExecutionMetadata.completed_at` defaults to `Utc::now()` at parse time (docs/wire-types.md §5.2). */
  readonly defaultNow: boolean;
  /** An `Option<T>`: serde reads a missing key as None. */
  readonly optional: boolean;
  readonly alias?: string;
}

export const INT_BOUNDS: Readonly<Record<IntKind, readonly [bigint, bigint]>> = {
  u16: [0n, 65_535n],
  u32: [0n, 4_294_967_295n],
  i32: [-2_147_483_648n, 2_147_483_647n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
  u64: [0n, 2n ** 64n - 1n],
};

type Schema = Readonly<Record<string, unknown>>;

const FORMATS: Readonly<Record<string, StringFormat>> = {
  uuid: 'uuid',
  'utc-date-time': 'utc',
  'naive-date-time': 'naive',
};

const cache = new Map<WireTypeName, Shape>();

export function shapeOf(name: WireTypeName): Shape {
  let shape = cache.get(name);
  if (!shape) {
    shape = fromSchema(WIRE_SCHEMAS[name] as Schema);
    cache.set(name, shape);
  }
  return shape;
}

function refName(ref: unknown): WireTypeName {
  if (typeof ref !== 'string' || !ref.endsWith('.json')) throw new Error(`unsupported $ref ${String(ref)}`);
  return ref.slice(0, -'.json'.length) as WireTypeName;
}

function isNullSchema(s: unknown): boolean {
  return typeof s === 'object' && s !== null && (s as Schema).type === 'null';
}

function fromSchema(schema: Schema): Shape {
  if (schema.$ref !== undefined) return shapeOf(refName(schema.$ref));
  if (Array.isArray(schema.anyOf)) {
    const [inner, other] = schema.anyOf as Schema[];
    if (schema.anyOf.length !== 2 || !inner || !isNullSchema(other)) throw new Error('unsupported anyOf');
    return { kind: 'nullable', inner: fromSchema(inner) };
  }
  if (Array.isArray(schema.oneOf)) return tagged(schema);
  const type = schema.type;
  if (Array.isArray(type)) {
    const rest = type.filter((t) => t !== 'null');
    if (rest.length !== 1 || rest.length === type.length) throw new Error('unsupported type union');
    return { kind: 'nullable', inner: fromSchema({ ...schema, type: rest[0] }) };
  }
  switch (type) {
    case 'string': {
      const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
      return format ? { kind: 'string', format } : { kind: 'string' };
    }
    case 'boolean':
      return { kind: 'bool' };
    case 'integer':
      return { kind: 'int', int: (schema['x-int'] as IntKind | undefined) ?? 'i64' };
    case 'array':
      return { kind: 'array', items: fromSchema((schema.items as Schema | undefined) ?? {}) };
    case 'object':
      return schema.properties ? struct(schema) : { kind: 'map', values: fromSchema(additional(schema)) };
    case undefined:
      return { kind: 'value' };
    default:
      throw new Error(`unsupported type ${String(type)}`);
  }
}

function additional(schema: Schema): Schema {
  const a = schema.additionalProperties;
  return typeof a === 'object' && a !== null ? (a as Schema) : {};
}

function struct(schema: Schema): Shape & { kind: 'struct' } {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const properties = schema.properties as Record<string, Schema>;
  const fields = Object.entries(properties).map(([name, prop]): Field => {
    const shape = fromSchema(prop);
    const skip = prop['x-skip-serializing-if'] as Field['skip'];
    const alias = prop['x-serde-alias'] as string | undefined;
    return {
      name,
      shape,
      required: required.has(name),
      ...(skip ? { skip } : {}),
      ...(alias ? { alias } : {}),
      hasDefault: 'default' in prop,
      defaultValue: prop.default,
      defaultNow: prop['x-serde-default'] === 'now',
      optional: shape.kind === 'nullable' || prop['x-nullable'] === true || skip === 'none',
    };
  });
  return { kind: 'struct', fields };
}

function tagged(schema: Schema): Shape {
  const tag = (schema.discriminator as { propertyName?: string } | undefined)?.propertyName;
  if (!tag) throw new Error('oneOf without discriminator');
  const variants = new Map<string, Shape & { kind: 'struct' }>();
  for (const branch of schema.oneOf as Schema[]) {
    const resolved = branch.$ref !== undefined ? (WIRE_SCHEMAS[refName(branch.$ref)] as Schema) : branch;
    const tagSchema = (resolved.properties as Record<string, Schema>)[tag];
    variants.set(String(tagSchema?.const), struct(resolved));
  }
  return { kind: 'tagged', tag, variants };
}
