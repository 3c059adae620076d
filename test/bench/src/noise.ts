// Machine noise probe, run at the start of every round on a fresh clone: a fixed PostgreSQL microbenchmark from one
// connection (pgbench-like): round trips of `SELECT 1` for 2 s, then single-row INSERT commits for 2 s. Its spread
// across rounds is the machine's noise (2 shared cores: other sessions' work shows up here first).

import { loadavg } from 'node:os';
import type { BenchDb } from './db.js';
import { taskerPool } from './db.js';

export interface NoiseSample {
  selectPerSec: number;
  commitPerSec: number;
  loadavg1: number;
}

export async function measureNoise(db: BenchDb, seconds = 2): Promise<NoiseSample> {
  const clone = await db.clone();
  const pool = taskerPool(clone.url, 1);
  try {
    const client = await pool.connect();
    try {
      await client.query('CREATE TABLE public.noise_probe (id bigserial PRIMARY KEY, v text)');
      const loop = async (text: string) => {
        const end = performance.now() + seconds * 1000;
        let n = 0;
        while (performance.now() < end) {
          await client.query(text);
          n += 1;
        }
        return n / seconds;
      };
      const selectPerSec = await loop('SELECT 1');
      const commitPerSec = await loop("INSERT INTO public.noise_probe (v) VALUES ('x')");
      return { selectPerSec, commitPerSec, loadavg1: loadavg()[0] ?? 0 };
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await clone.drop().catch(() => {});
  }
}
