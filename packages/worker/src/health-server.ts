import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatUtcTimestamp } from '@tasker-bridge/schemas';

/**
 * The worker's HTTP endpoints, with upstream's paths and response shapes (tasker-worker web API,
 * `tasker_shared::types::api::worker`): `/health` (basic), `/health/live`, `/health/ready` (503 when not ready)
 * and `/metrics` (Prometheus text). Readiness means the intake loop made progress recently — not merely that the
 * database answers — so a wedged worker stops receiving traffic (packages/worker/README.md "Operations").
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
  metrics(): string;
}

export class HealthServer {
  readonly #server: Server;
  readonly #source: HealthSource;

  constructor(source: HealthSource) {
    this.#source = source;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String((error as Error)?.message ?? error));
      });
    });
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
      case '/metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.#source.metrics());
        return;
      default:
        json(res, 404, { error: 'not found', path });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
