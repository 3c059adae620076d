import { TaskerClient } from '@tasker-bridge/client';
import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import { TaskerWorker } from '@tasker-bridge/worker';

// The steps of the `orders/fulfil_order` template (templates/orders/fulfil_order.yaml, below).
const registry = new HandlerRegistry()
  .register(
    defineHandler<{ order_id: string; items: number }>(
      'orders.reserve_stock',
      { inputs: ['order_id', 'items'] },
      ({ input }) => ({ reservation: `R-${input.order_id}`, items: input.items }),
    ),
  )
  .register(
    defineHandler<{ order_id: string }, { reserved: { reservation: string } }>(
      'orders.send_confirmation',
      { depends: { reserved: 'reserve_stock' } },
      ({ input, deps }) => ({ confirmed: input.order_id, reservation: deps.reserved.reservation }),
    ),
  );

// Serve the steps: DATABASE_URL and TASKER_TEMPLATE_PATH come from the environment.
const worker = new TaskerWorker({ registry });
await worker.start();

// Start a workflow through the orchestration server's REST API, and wait for it.
const client = new TaskerClient({ baseUrl: process.env.TASKER_URL ?? 'http://localhost:8080' });
const task = await client.createTask({
  namespace: 'orders',
  name: 'fulfil_order',
  version: '1.0.0',
  context: { order_id: `A-${Date.now()}`, items: 3 },
});
const done = await client.waitForTask(task.task_uuid, { timeoutMs: 60_000 });
console.log(
  done.status,
  done.steps.map((s) => `${s.name}: ${s.current_state}`),
);
// complete [ 'reserve_stock: complete', 'send_confirmation: complete' ]

await worker.stop();
