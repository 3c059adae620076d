#!/usr/bin/env node
// The one way to (re)generate test/conformance/vectors: the real tasker-shared 0.1.8 types serialize every
// case in test/conformance/rust/src/cases.rs. Never edit the vector files by hand. Also writes
// test/conformance/cursor-splits.json with tasker-worker 0.1.8's own cursor helpers.
//   npm run vectors
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildConformanceBinary, cursorVectorsFile, runConformance, vectorsDir } from './cargo.mjs';

const { binary, seconds } = buildConformanceBinary();
console.log(`cargo build: ${seconds.toFixed(1)} s`);
for (const file of await readdir(vectorsDir).catch(() => [])) {
  if (file.endsWith('.json')) await rm(join(vectorsDir, file));
}
runConformance(binary, ['vectors', vectorsDir]);
console.log(`vectors written to ${vectorsDir}: ${(await readdir(vectorsDir)).length} files`);
runConformance(binary, ['cursors', cursorVectorsFile]);
console.log(`cursor splits written to ${cursorVectorsFile}`);
