// The example workflows of @tasker-bridge/examples used by the fleet scenarios: the linear and diamond workflows,
// run by our TS worker with the examples' handlers and by the Python worker with twins of them
// (python/fleet_handlers/examples.py, registered under the same callables).

import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { templatesDir } from '@tasker-bridge/examples';

export const LINEAR = { namespace: 'linear_workflow_ts', name: 'mathematical_sequence_ts', version: '1.0.0' };
export const DIAMOND = {
  namespace: 'diamond_workflow_ts',
  name: 'parallel_computation_ts',
  version: '1.0.0',
};

/**
 * A directory holding only the examples' templates of these namespaces (a worker serves every namespace of the
 * templates it registers, and the Python worker must not register templates it has no handlers for).
 */
export async function exampleTemplates(dir: string, namespaces: readonly string[]): Promise<string> {
  for (const namespace of namespaces) {
    await mkdir(join(dir, namespace), { recursive: true });
    for (const file of await readdir(join(templatesDir, namespace))) {
      if (file.endsWith('.yaml') || file.endsWith('.yml')) {
        await copyFile(join(templatesDir, namespace, file), join(dir, namespace, file));
      }
    }
  }
  return dir;
}

/** The value each step of an example workflow computes for `even_number` = n, as the examples' handlers write it. */
export function expectedExampleResults(
  workflow: 'linear' | 'diamond',
  n: number,
): Record<string, Record<string, number>> {
  const sq = n * n;
  if (workflow === 'linear') {
    return {
      linear_step_1: { squared_value: sq },
      linear_step_2: { added_value: sq + 10 },
      linear_step_3: { multiplied_value: (sq + 10) * 3 },
      linear_step_4: { final_value: ((sq + 10) * 3) / 2 },
    };
  }
  return {
    diamond_start_ts: { squared_value: sq },
    diamond_branch_b_ts: { branch_b_value: sq + 25 },
    diamond_branch_c_ts: { branch_c_value: sq * 2 },
    diamond_end_ts: { final_value: (sq + 25 + sq * 2) / 2 },
  };
}
