// A stand-in for a test process, for orphans.test.ts: starts one worker process exactly as the harness does,
// from the `WorkerCommand` (JSON) given as its argument, relays the worker's stdout after a `CHILD_PID <pid>`
// line, and stays up until it is killed.
import { spawn } from 'node:child_process';

const command = JSON.parse(process.argv[2] ?? '{}');
const child = spawn(command.command, command.args, {
  stdio: command.stdio,
  env: { ...process.env, ...command.env },
});
process.stdout.write(`CHILD_PID ${child.pid}\n`);
child.stdout.pipe(process.stdout);
child.stderr.pipe(process.stderr);
