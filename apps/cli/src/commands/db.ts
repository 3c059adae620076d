import { devClusterUrl, ensureTemplateDatabase, startDevCluster, stopDevCluster } from '@tasker-bridge/devdb';
import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';

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
    .action(async () => {
      const cluster = await startDevCluster();
      const template = await ensureTemplateDatabase(cluster.adminUrl, cluster.artifacts);
      process.stderr.write(
        `pgmq ${cluster.artifacts.pgmqVersion}, tasker-shared ${cluster.artifacts.taskerSharedVersion}\n`,
      );
      process.stderr.write(`template database: ${template} (log: ${cluster.logFile})\n`);
      process.stdout.write(`${cluster.adminUrl}\n`);
    });

  db.command('url')
    .description('print the running cluster URL (exit 69 when it is not running)')
    .action(async () => {
      const url = await devClusterUrl();
      if (!url) {
        process.stderr.write('the development cluster is not running: run `tasker-bridge db up`\n');
        process.exitCode = ExitCode.Unavailable;
        return;
      }
      process.stdout.write(`${url}\n`);
    });

  db.command('down')
    .description('stop the development cluster')
    .action(async () => {
      const stopped = await stopDevCluster();
      process.stderr.write(stopped ? 'stopped\n' : 'not running\n');
    });
}
