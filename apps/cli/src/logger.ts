import type { Logger } from '@tasker-bridge/core';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 } as const;
export type LogLevel = keyof typeof LEVELS;

/**
 * A small `Logger` for the interactive commands: one readable line per record on stderr, never stdout (which
 * carries the command's data). `worker` uses pino instead.
 */
export function stderrLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  const threshold = LEVELS[level];
  const write = (at: Exclude<LogLevel, 'silent'>) => (obj: unknown, msg?: string) => {
    if (LEVELS[at] < threshold) return;
    const fields = typeof obj === 'object' && obj !== null ? { ...bindings, ...obj } : bindings;
    const text = typeof obj === 'string' ? obj : (msg ?? '');
    const extra = Object.entries(fields)
      .filter(([k]) => !['task_uuid', 'step_uuid', 'correlation_id'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    process.stderr.write(`${at}: ${text}${extra === '' ? '' : ` (${extra})`}\n`);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => stderrLogger(level, { ...bindings, ...more }),
  };
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  return value !== undefined && value in LEVELS ? (value as LogLevel) : fallback;
}
