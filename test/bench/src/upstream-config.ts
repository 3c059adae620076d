// The configuration both upstream contenders run with (the native Rust worker and tasker-py embed the same
// worker core): the fleet tests' merged TOML (test/fleet/config), then the bench's changes to it, each made by
// table and key so that a key that moved fails the bench instead of silently keeping the fleet's value.
// Hand-written rather than a TOML library round trip: that would rewrite the fleet's file (floats such as
// `90.0` come back as integers, which the worker's f64 fields then reject).

/**
 * tasker-shared 0.1.8's own defaults for every channel buffer of a worker (the `#[builder(default = …)]` of
 * `EventPublisherChannels`, `FfiChannels` and the `Worker*Channels` / `HandlerDispatchChannelsConfig` structs).
 * The fleet's file sets 200 (100, 500) to keep its test processes small; the bench measures upstream as shipped.
 */
export const UPSTREAM_CHANNEL_BUFFERS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'common.mpsc_channels.event_publisher': { event_queue_buffer_size: 5000 },
  'common.mpsc_channels.ffi': { ruby_event_buffer_size: 1000 },
  'worker.mpsc_channels.command_processor': { command_buffer_size: 2000 },
  'worker.mpsc_channels.event_systems': { event_channel_buffer_size: 5000 },
  'worker.mpsc_channels.event_subscribers': { completion_buffer_size: 1000, result_buffer_size: 1000 },
  'worker.mpsc_channels.in_process_events': { broadcast_buffer_size: 1000 },
  'worker.mpsc_channels.event_listeners': { pgmq_event_buffer_size: 1000 },
  'worker.mpsc_channels.domain_events': { command_buffer_size: 1000 },
  'worker.mpsc_channels.handler_dispatch': { dispatch_buffer_size: 1000, completion_buffer_size: 1000 },
};

/**
 * Made comparable with our worker's `concurrency: c` (which also sizes its pool at c + 4): the semaphore around
 * handler calls, the event system's concurrent operations, and the database pool.
 */
export function concurrencySettings(concurrency: number): Record<string, Record<string, number>> {
  return {
    'worker.mpsc_channels.handler_dispatch': { max_concurrent_handlers: concurrency },
    'worker.event_systems.worker.processing': { max_concurrent_operations: concurrency },
    'common.database.pool': { max_connections: concurrency + 4 },
  };
}

/** The worker's identity lines (`[worker]` and its event system), so its logs and registration name the bench. */
export function identitySettings(
  workerId: string,
  workerType: string,
): Record<string, Record<string, string>> {
  return {
    worker: { worker_id: workerId, worker_type: workerType },
    'worker.event_systems.worker': { system_id: `${workerId}-events` },
  };
}

/** Sets `key = value` inside `[table]`; throws when the table or the key is not there. */
export function setTomlValue(toml: string, table: string, key: string, value: number | string): string {
  const lines = toml.split('\n');
  const header = lines.findIndex((line) => line.trim() === `[${table}]`);
  if (header < 0) throw new Error(`bench config: no [${table}] table`);
  const keyLine = new RegExp(`^\\s*${key}\\s*=`);
  for (let i = header + 1; i < lines.length && !lines[i]?.trim().startsWith('['); i++) {
    if (keyLine.test(lines[i] ?? '')) {
      lines[i] = `${key} = ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`;
      return lines.join('\n');
    }
  }
  throw new Error(`bench config: no ${key} in [${table}]`);
}

export function applySettings(
  toml: string,
  settings: Readonly<Record<string, Readonly<Record<string, number | string>>>>,
): string {
  let out = toml;
  for (const [table, values] of Object.entries(settings)) {
    for (const [key, value] of Object.entries(values)) out = setTomlValue(out, table, key, value);
  }
  return out;
}

/** The fleet's merged worker TOML as the bench runs it: upstream buffers, comparable concurrency, own identity. */
export function benchWorkerConfig(
  fleetToml: string,
  options: { concurrency: number; workerId: string; workerType: string },
): string {
  let out = applySettings(fleetToml, UPSTREAM_CHANNEL_BUFFERS);
  out = applySettings(out, concurrencySettings(options.concurrency));
  return applySettings(out, identitySettings(options.workerId, options.workerType));
}
