// A local node:http server that answers each request with the next scripted responder and records what it got,
// and the Rust-written vectors of the REST types (test/conformance/vectors) as response bodies.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Recorded {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Responder = (request: Recorded, response: ServerResponse) => void;

export interface TestServer {
  readonly url: string;
  readonly requests: Recorded[];
  /** Queues responders, one per request to come. */
  script(...responders: Responder[]): void;
  /** Resolves when the server has received `n` requests in all. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const requests: Recorded[] = [];
  const queue: Responder[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
      const responder = queue.shift() ?? text(599, 'no responder scripted');
      responder(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...responders) => queue.push(...responders),
    received: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export function json(status: number, body: string, headers: Record<string, string> = {}): Responder {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
}

export function text(status: number, body: string): Responder {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  };
}

/** Never answers (until the server closes). */
export const hang: Responder = () => {};

/** Closes the connection without an answer, as a crashing server or a reset does. */
export const drop: Responder = (_req, res) => {
  res.socket?.destroy();
};

interface VectorCase {
  name: string;
  json: string;
  http_status?: number;
  retry_after?: string;
}

const vectorsDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'test',
  'conformance',
  'vectors',
);

export function vectors(type: string): VectorCase[] {
  return (JSON.parse(readFileSync(join(vectorsDir, `${type}.json`), 'utf8')) as { cases: VectorCase[] })
    .cases;
}

export function vector(type: string, name: string): VectorCase {
  const found = vectors(type).find((c) => c.name === name);
  if (!found) throw new Error(`no ${type} vector named ${name}`);
  return found;
}

/** The `complete` TaskResponse vector, with fields replaced. */
export function taskBody(patch: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...JSON.parse(vector('TaskResponse', 'complete').json), ...patch });
}

export const TASK_UUID = '0195b7a2-1c3e-7d4f-8a90-1b2c3d4e5f60';
