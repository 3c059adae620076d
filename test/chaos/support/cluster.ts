import { dirname, join } from 'node:path';
import {
  type ClonedDatabase,
  createDatabaseFromTemplate,
  type DevCluster,
  devDbCacheDir,
  ensureTemplateDatabase,
  startDevCluster,
} from '@tasker-bridge/devdb';
// Not part of devdb's public API: the chaos suite is the only caller that restarts a server under load.
import { postgresOsUser } from '../../../packages/devdb/src/cluster.js';
import { locatePostgresBinaries } from '../../../packages/devdb/src/postgres-binaries.js';
import { runCommand, tail } from '../../../packages/devdb/src/run-command.js';

/**
 * A PostgreSQL cluster of the chaos suite's own (a separate data directory and port), so restarting it never
 * touches the databases other test files use in parallel. Same binaries, pgmq and tasker schema as devdb's.
 */
export interface ChaosCluster {
  cluster: DevCluster;
  db: ClonedDatabase;
  /** `pg_ctl restart -m fast` (options from postmaster.opts); resolves when the server accepts connections. */
  restart(): Promise<{ downMs: number }>;
  close(): Promise<void>;
}

export async function startChaosCluster(name = 'chaos-cluster'): Promise<ChaosCluster> {
  // Under the devdb cache dir: as root the server runs as `postgres`, which must reach it (/var/tmp/…).
  const cluster = await startDevCluster({ cacheDir: join(devDbCacheDir(), name) });
  const template = await ensureTemplateDatabase(cluster.adminUrl, cluster.artifacts);
  const db = await createDatabaseFromTemplate(cluster.adminUrl, template);
  const binaries = await locatePostgresBinaries();
  const owner = await postgresOsUser();
  return {
    cluster,
    db,
    async restart() {
      const started = Date.now();
      const res = await runCommand(
        binaries.pgCtl,
        ['restart', '-m', 'fast', '-w', '-t', '60', '-D', cluster.dataDir, '-l', cluster.logFile],
        // From the cluster's directory: the server was started with `-D data` (relative), which a restart reuses.
        { cwd: dirname(cluster.dataDir), ...(owner ?? {}) },
      );
      if (res.code !== 0) throw new Error(`pg_ctl restart failed:\n${tail(res.stdout + res.stderr)}`);
      return { downMs: Date.now() - started };
    },
    async close() {
      await db.drop().catch(() => {});
      await cluster.release();
    },
  };
}
