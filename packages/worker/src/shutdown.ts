/**
 * Signal handling for processes that run a worker (library code installs nothing unless asked, docs/contributing.md "API shape").
 * First SIGTERM/SIGINT: graceful stop (stop intake, drain within the grace period, then cancel what still runs
 * and report it as a retryable failure). Second signal: skip the rest of the grace period — cancel now — and,
 * if the caller passed `exit`, exit once that fast stop has finished (or after `forceExitMs`).
 */

export interface Stoppable {
  stop(options?: { graceMs?: number }): Promise<void>;
}

export interface SignalHandlerOptions {
  signals?: readonly NodeJS.Signals[];
  /** Called after the worker stopped (first signal) or after the fast stop (second); e.g. `process.exit`. */
  exit?: (code: number) => void;
  /** With `exit`: on the second signal, exit after this long even if the fast stop has not finished. Default 5000. */
  forceExitMs?: number;
  onSignal?: (signal: NodeJS.Signals, count: number) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function installSignalHandlers(worker: Stoppable, options: SignalHandlerOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    options.onSignal?.(signal, count);
    if (count === 1) {
      void worker.stop().then(
        () => options.exit?.(0),
        () => options.exit?.(1),
      );
      return;
    }
    if (options.exit) {
      const timer = setTimeout(() => options.exit?.(1), options.forceExitMs ?? 5_000);
      timer.unref();
    }
    void worker.stop({ graceMs: 0 }).finally(() => options.exit?.(1));
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
