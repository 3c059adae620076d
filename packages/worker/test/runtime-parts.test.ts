import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../src/backoff.js';
import { installSignalHandlers } from '../src/index.js';
import { HandlerSlots } from '../src/intake.js';
import { decodeTemplate } from '../src/templates.js';

describe('handler slots', () => {
  it('never reserves beyond capacity and wakes waiters on release', async () => {
    const slots = new HandlerSlots(2);
    expect(slots.tryReserve(5)).toBe(2);
    expect(slots.tryReserve(1)).toBe(0);
    const waited = slots.whenReleased();
    slots.release(1);
    await waited;
    expect(slots.free).toBe(1);
  });
});

describe('backoff', () => {
  it('is capped and jittered', () => {
    expect(backoffDelay(0, { initialMs: 100, maxMs: 1000 }, () => 0)).toBe(50);
    expect(backoffDelay(20, { initialMs: 100, maxMs: 1000 }, () => 1)).toBe(1000);
    expect(backoffDelay(20, { initialMs: 100, maxMs: 1000 }, () => 0)).toBe(500);
  });
});

describe('template validation (upstream register_task_template + TaskTemplate::validate)', () => {
  const step = (name: string, extra = {}) => ({ name, handler: { callable: `x.${name}` }, ...extra });
  it('decodes YAML-shaped templates with serde defaults', () => {
    const t = decodeTemplate({
      name: 't',
      namespace_name: 'ns',
      version: '1.0.0',
      steps: [step('a'), step('b', { depends_on: ['a'] })],
    });
    expect(t.steps[1]?.dependencies).toEqual(['a']);
    expect(t.system_dependencies).toEqual({ primary: 'default', secondary: [] });
  });
  it.each([
    [{ name: '', namespace_name: 'ns', version: '1' }, /name cannot be empty/],
    [{ name: 't', namespace_name: 'bad-ns', version: '1' }, /namespace_name/],
    [
      { name: 't', namespace_name: 'ns', version: '1', steps: [step('a', { dependencies: ['zz'] })] },
      /non-existent step 'zz'/,
    ],
    [
      { name: 't', namespace_name: 'ns', version: '1', steps: [step('d', { type: 'decision' })] },
      /must have at least one dependency/,
    ],
  ])('rejects %o', (value, message) => {
    expect(() => decodeTemplate(value)).toThrow(message);
  });
});

describe('signal handlers', () => {
  it('first signal stops gracefully, second cancels at once; exit is only called when given', async () => {
    const stops: (number | undefined)[] = [];
    let finish: () => void = () => {};
    const worker = {
      stop: vi.fn((o?: { graceMs?: number }) => {
        stops.push(o?.graceMs);
        return new Promise<void>((r) => {
          finish = r;
        });
      }),
    };
    const exit = vi.fn();
    const fakeProcess = new EventEmitter();
    const on = vi
      .spyOn(process, 'on')
      .mockImplementation(((s: string, h: () => void) => fakeProcess.on(s, h)) as never);
    const off = vi
      .spyOn(process, 'off')
      .mockImplementation(((s: string, h: () => void) => fakeProcess.off(s, h)) as never);
    try {
      const remove = installSignalHandlers(worker, { exit });
      fakeProcess.emit('SIGTERM', 'SIGTERM');
      fakeProcess.emit('SIGINT', 'SIGINT');
      expect(stops).toEqual([undefined, 0]);
      finish();
      await new Promise((r) => setImmediate(r));
      expect(exit).toHaveBeenCalled();
      remove();
      expect(fakeProcess.listenerCount('SIGTERM')).toBe(0);
    } finally {
      on.mockRestore();
      off.mockRestore();
    }
  });
});
