import { type Command, Option } from 'commander';
import { loadDevDb } from '../dev-packages.js';
import { ExitCode } from '../exit-codes.js';

interface DbOptions {
  pgmqSqlDir?: string;
}

const DB_PURPOSE = '`tasker-bridge db`';

/** Each pgmq has a cluster of its own, so `url` and `down` take the same choice as `up`. */
function pgmqSqlDirOption(): Option {
  return new Option(
    '--pgmq-sql-dir <dir>',
    `install pgmq from this directory (pgmq.control + sql/pgmq.sql) instead of the pinned crate's, e.g. the version production runs (env TASKER_BRIDGE_PGMQ_SQL_DIR)`,
  );
}

export function registerDbCommands(program: Command): void {
  const db = program
    .command('db')
    .description(
      'The local development database: PostgreSQL 18 + pgmq + the tasker schema, from npm and crates.io',
    );

  db.command('up')
    .description(
      'start the development cluster (idempotent), build the migrated template, print the server URL',
    )
    .addOption(pgmqSqlDirOption())
    .action(async (options: DbOptions) => {
      const { describePgmq, ensureTemplateDatabase, startDevCluster } = await loadDevDb(DB_PURPOSE);
      const cluster = await startDevCluster({ pgmqSqlDir: options.pgmqSqlDir });
      const template = await ensureTemplateDatabase(cluster.adminUrl, cluster.artifacts);
      process.stderr.write(
        `${describePgmq(cluster.artifacts)}, tasker-shared ${cluster.artifacts.taskerSharedVersion}\n`,
      );
      process.stderr.write(`template database: ${template} (log: ${cluster.logFile})\n`);
      process.stdout.write(`${cluster.adminUrl}\n`);
    });

  db.command('url')
    .description('print the running cluster URL (exit 69 when it is not running)')
    .addOption(pgmqSqlDirOption())
    .action(async (options: DbOptions) => {
      const { devClusterUrl } = await loadDevDb(DB_PURPOSE);
      const url = await devClusterUrl({ pgmqSqlDir: options.pgmqSqlDir });
      if (!url) {
        process.stderr.write('the development cluster is not running: run `tasker-bridge db up`\n');
        process.exitCode = ExitCode.Unavailable;
        return;
      }
      process.stdout.write(`${url}\n`);
    });

  db.command('down')
    .description('stop the development cluster')
    .addOption(pgmqSqlDirOption())
    .action(async (options: DbOptions) => {
      const { stopDevCluster } = await loadDevDb(DB_PURPOSE);
      const stopped = await stopDevCluster({ pgmqSqlDir: options.pgmqSqlDir });
      process.stderr.write(stopped ? 'stopped\n' : 'not running\n');
    });
}
