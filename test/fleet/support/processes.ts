import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** A long-running child process whose stdout and stderr go to one log file. */
export interface LoggedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The whole log so far. */
  log(): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<LoggedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test run dies before its afterAll: never leave a server or worker behind.
  process.on('exit', () => {
    for (const p of live) p.child.kill('SIGKILL');
  });
}

/**
 * util-linux's `setpriv`, when this machine has it: `setpriv --pdeathsig SIGKILL -- program` makes the kernel kill
 * the program when the process that started it dies, however it died (the exit hook below cannot run after a
 * SIGKILL of the test process). It execs the program, so the child's pid, signals and exit status are the
 * program's own. Upstream's binaries have no parent watch of their own; our Rust worker also watches its parent.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** `command args` wrapped so that it dies with the process that starts it (see SETPRIV), where the machine can. */
export function parentDeathCommand(command: string, args: readonly string[]): [string, readonly string[]] {
  return SETPRIV === undefined
    ? [command, args]
    : [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args]];
}

export async function spawnLogged(
  name: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; onStdoutLine?: (line: string) => void },
): Promise<LoggedProcess> {
  installExitHook();
  await mkdir(dirname(options.logFile), { recursive: true });
  const out = createWriteStream(options.logFile, { flags: 'a' });
  const [program, argv] = parentDeathCommand(command, args);
  const child = spawn(program, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out.write(chunk);
    if (!options.onStdoutLine) return;
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) options.onStdoutLine(line);
  });
  child.stderr?.on('data', (chunk: Buffer) => out.write(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => {
      out.write(`\n[fleet] failed to start ${command}: ${error.message}\n`);
      resolve({ code: -1, signal: null });
    });
  });
  let stopping: Promise<void> | undefined;
  const proc: LoggedProcess = {
    name,
    child,
    logFile: options.logFile,
    exited,
    log: () => readFile(options.logFile, 'utf8').catch(() => ''),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        live.delete(proc);
        await new Promise<void>((resolve) => out.end(resolve));
      })();
      return stopping;
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a value (not undefined), the process dies, or the deadline passes. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; process?: LoggedProcess },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const proc = options.process;
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(
        `${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) while waiting for ${what}; ` +
          `log ${proc.logFile}:\n${tailLines(await proc.log(), 40)}`,
      );
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const log = proc ? `; log ${proc.logFile}:\n${tailLines(await proc.log(), 40)}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${detail}${log}`);
    }
    await delay(options.intervalMs ?? 250);
  }
}

export function tailLines(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Cross-process mutex (exclusive mkdir), taken over when its holder died: one build or pip install at a time. */
export async function withDirLock<T>(path: string, work: () => Promise<T>, timeoutMs: number): Promise<T> {
  const lockDir = `${path}.lock`;
  const owner = `${lockDir}/pid`;
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(owner, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(await readFile(owner, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && !alive(holder)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir} (pid ${holder})`);
      await delay(500);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
