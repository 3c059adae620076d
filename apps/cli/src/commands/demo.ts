import {
  createDatabaseFromTemplate,
  ensureTemplateDatabase,
  startDevCluster,
  TASKER_CONNECTION_OPTIONS,
} from '@tasker-bridge/devdb';
import type { Command } from 'commander';
import pg from 'pg';

async function describeDatabase(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, options: TASKER_CONNECTION_OPTIONS });
  await client.connect();
  try {
    const version = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    const pgmq = await client.query<{ v: string }>(
      "SELECT extversion AS v FROM pg_extension WHERE extname = 'pgmq'",
    );
    const tables = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'tasker' AND table_type = 'BASE TABLE' ORDER BY 1",
    );
    const functions = await client.query<{ name: string }>(
      "SELECT DISTINCT proname AS name FROM pg_proc WHERE pronamespace = 'tasker'::regnamespace ORDER BY 1",
    );
    return [
      `PostgreSQL ${version.rows[0]?.v}`,
      `pgmq ${pgmq.rows[0]?.v}`,
      `tasker tables (${tables.rowCount}): ${tables.rows.map((r) => r.name).join(', ')}`,
      `tasker functions (${functions.rowCount}): ${functions.rows.map((r) => r.name).join(', ')}`,
    ];
  } finally {
    await client.end();
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('bring up the development database and show what it holds')
    .action(async () => {
      const cluster = await startDevCluster();
      try {
        const template = await ensureTemplateDatabase(cluster.adminUrl, cluster.artifacts);
        const db = await createDatabaseFromTemplate(cluster.adminUrl, template);
        try {
          for (const line of await describeDatabase(db.url)) process.stdout.write(`${line}\n`);
        } finally {
          await db.drop();
        }
      } finally {
        await cluster.release();
      }
    });
}
