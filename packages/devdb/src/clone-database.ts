import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { databaseUrl, quoteIdent } from './connection.js';

export interface ClonedDatabase {
  name: string;
  /** URL of the new database (same server and credentials as the admin URL). */
  url: string;
  /** Drops the database, disconnecting anyone still attached. */
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates a fresh database from the migrated template (one per test file, or one for the demo). */
export async function createDatabaseFromTemplate(
  adminUrl: string,
  template: string,
  name = `tb_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`,
): Promise<ClonedDatabase> {
  await withAdmin(adminUrl, (client) =>
    client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`),
  );
  return {
    name,
    url: databaseUrl(adminUrl, name),
    drop: () =>
      withAdmin(adminUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      }),
  };
}
