import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatUtcTimestamp } from '@tasker-bridge/schemas';

/**
 * The worker's HTTP endpoints, with upstream's paths and response shapes (tasker-worker web API,
 * `tasker_shared::types::api::worker`): `/health` (basic), `/health/live`, `/health/ready` (503 when not ready)
 * and `/metrics` (Prometheus text). Readiness means the intake loop made progress recently — not merely that the
 * database answers — so a wedged worker stops receiving traffic (packages/worker/README.md "Operations").
 *
 * Nothing here can slow the steps down: readiness and metrics read the database through a probe of their own,
 * at most once per second (`database-probe.ts`), GET and HEAD are the only methods (no request body is ever
 * read), and no error text from the database or from this code reaches a response.
 */

export interface HealthCheck {
  status: 'healthy' | 'degraded' | 'unhealthy';
  message: string | null;
  duration_ms: number;
  last_checked: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: { database: HealthCheck; command_processor: HealthCheck; queue_processing: HealthCheck };
  system_info: Record<string, unknown>;
}

export interface HealthSource {
  workerId: string;
  /** Liveness: the process runs and the worker was started (not stopped). */
  live(): boolean;
  ready(): Promise<ReadinessReport>;
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
}

/** Upstream's web API is read-only; HEAD is what some load balancers probe with. */
const ALLOWED_METHODS = 'GET, HEAD';

export class HealthServer {
  readonly #server: Server;
  readonly #source: HealthSource;

  constructor(source: HealthSource) {
    this.#source = source;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        // Whatever failed (a metric collector, a bug), its text stays out of the response.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
      });
    });
    // Probes are tiny: a client that trickles its request holds a socket for seconds, not minutes.
    this.#server.headersTimeout = 5_000;
    this.#server.requestTimeout = 10_000;
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    this.#server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: ALLOWED_METHODS, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'method not allowed', allow: ALLOWED_METHODS }));
      return;
    }
    const timestamp = formatUtcTimestamp(new Date());
    const workerId = this.#source.workerId;
    switch (path) {
      case '/health':
      case '/health/live': {
        const live = this.#source.live();
        json(res, live ? 200 : 503, {
          status: live ? 'healthy' : 'unhealthy',
          timestamp,
          worker_id: workerId,
        });
        return;
      }
      case '/health/ready': {
        const report = await this.#source.ready();
        json(res, report.ready ? 200 : 503, {
          status: report.ready ? 'healthy' : 'unhealthy',
          timestamp,
          worker_id: workerId,
          checks: report.checks,
          system_info: report.system_info,
        });
        return;
      }
      case '/metrics': {
        const text = await this.#source.metrics();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(text);
        return;
      }
      default:
        json(res, 404, { error: 'not found', path });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
