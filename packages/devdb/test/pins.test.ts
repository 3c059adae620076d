import { readFileSync } from 'node:fs';
import { PGMQ_CRATE_VERSION, TASKER_UPSTREAM_VERSION } from '@tasker-bridge/devdb';
import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import { describe, expect, it } from 'vitest';
import { TASKER_CONNECTION_OPTIONS } from '../src/connection.js';

const manifest = readFileSync(new URL('../upstream/Cargo.toml', import.meta.url), 'utf8');
const lock = readFileSync(new URL('../upstream/Cargo.lock', import.meta.url), 'utf8');

function lockedVersions(name: string): string[] {
  return [...lock.matchAll(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`, 'g'))].map((m) => m[1]!);
}

describe('upstream pins', () => {
  it('pins the same tasker-shared version in Cargo.toml, Cargo.lock and the TS constant', () => {
    expect(manifest).toContain(`tasker-shared = { version = "=${TASKER_UPSTREAM_VERSION}"`);
    expect(lockedVersions('tasker-shared')).toEqual([TASKER_UPSTREAM_VERSION]);
  });

  it('pins the same pgmq crate version in Cargo.toml, Cargo.lock and the TS constant', () => {
    expect(manifest).toContain(`pgmq = { version = "=${PGMQ_CRATE_VERSION}"`);
    expect(lockedVersions('pgmq')).toContain(PGMQ_CRATE_VERSION);
  });

  it("holds the worker's session settings for its own migration connections", () => {
    expect(TASKER_CONNECTION_OPTIONS).toBe(TASKER_SESSION_OPTIONS);
  });
});
