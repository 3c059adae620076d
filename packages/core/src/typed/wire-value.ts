/**
 * The type of a handler's value once `runStep` has written it (`result` of the wire `StepExecutionResult`), as
 * `toJsonValue` and the return-value rules make it: `undefined`/`null` become `{}`, an object or array is kept,
 * any other value `v` becomes `{result: v}`; inside, `toJSON` is applied (a `Date` is its ISO string), functions,
 * symbols and `undefined` members are dropped, and a `bigint` is a number, an exact 64-bit integer or a decimal
 * string depending on its size. `unknown` stays `unknown`.
 */
export type WireValue<R> = unknown extends R
  ? unknown
  : R extends undefined | null
    ? Record<string, never>
    : R extends object
      ? JsonOf<R>
      : R extends void
        ? Record<string, never>
        : { result: JsonOf<R> };

/** What JSON keeps of a value (see `WireValue`). */
export type JsonOf<T> = T extends { toJSON(...args: never[]): infer J }
  ? JsonOf<J>
  : T extends bigint
    ? number | bigint | string
    : T extends string | number | boolean | null
      ? T
      : T extends readonly (infer E)[]
        ? JsonOf<E>[]
        : T extends object
          ? {
              [K in keyof T as T[K] extends ((...args: never[]) => unknown) | symbol | undefined
                ? never
                : K]: JsonOf<T[K]>;
            }
          : never;
