// The credentials tasker-orchestration 0.1.8 accepts when `[orchestration.web.auth] enabled = true`
// (tasker-orchestration src/web/middleware/auth.rs): a JWT in `Authorization: Bearer <token>` (checked first, and
// only with exactly that prefix), else an API key in the header named by `api_key_header` (default `X-API-Key`).
// The shapes and tags follow upstream's own client configuration (`ClientAuthMethod`: `bearer`, `api_key` with
// `header_name`).

/** A bearer token, or a function returning the current one (called before every attempt, so a rotated JWT is used). */
export type TokenSource = string | (() => string | Promise<string>);

export type ClientAuth =
  | { readonly type: 'bearer'; readonly token: TokenSource }
  | { readonly type: 'api_key'; readonly key: string; readonly header_name?: string };

/** Upstream's default `api_key_header`. */
export const DEFAULT_API_KEY_HEADER = 'X-API-Key';

/** The header that carries the credentials, or none without auth. Never logged. */
export async function authHeader(
  auth: ClientAuth | undefined,
): Promise<[name: string, value: string] | undefined> {
  if (!auth) return undefined;
  if (auth.type === 'api_key') return [auth.header_name ?? DEFAULT_API_KEY_HEADER, auth.key];
  const token = typeof auth.token === 'function' ? await auth.token() : auth.token;
  return ['authorization', `Bearer ${token}`];
}
