/**
 * Batching of per-step statements across the steps in flight (docs/performance.md §2.2): each step asks for its
 * own row (`run(input)`), and the requests made during one turn of the event loop — handlers finishing together,
 * a claimed batch completing — go to the database as one statement. The batch is sent at the end of the turn
 * after that one (`afterNextTurn`), not after a timer: a lone step waits for nothing, and what runs alongside it
 * is batched.
 *
 * Failures stay per step: the statement answers per input (`runBatch` returns one output per input, in order),
 * and a statement that fails as a whole — one input the database refuses (a data error in one result), a
 * deadlock between two batches — is run again once per input, so one bad input fails only its own request and
 * delays its neighbours by that one retry. Written by hand: the libraries that batch requests (dataloader and
 * the like) cache and deduplicate by key, which a write must never do.
 */
interface Pending<In, Out> {
  input: In;
  resolve: (out: Out) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs `fn` at the end of the next turn of the event loop, one `setImmediate` later than the work scheduled for the
 * end of this one. The turn in which handlers return is the one in which their slots are freed and the poller
 * schedules the take that refills them (`poller.ts`, `intake.ts`): that take is on the next step's path, while
 * the finished step's completion is not — its slot is already free. Sent first, the take reaches PostgreSQL before
 * the completion is encoded and written (docs/performance.md §3.2 has the measurement). The split databases' result
 * send (`complete.ts`) is asked for when its write answers, a turn with no take in it; it waits the extra turn too,
 * microseconds, rather than the batcher having two schedules.
 */
function afterNextTurn(fn: () => void): void {
  setImmediate(() => setImmediate(fn));
}

export class Batcher<In, Out> {
  readonly #runBatch: (inputs: readonly In[]) => Promise<Out[]>;
  readonly #maxBatch: number;
  #pending: Pending<In, Out>[] = [];
  #scheduled = false;

  /** `runBatch` must return one output per input, in the inputs' order; `maxBatch` caps a statement's size. */
  constructor(runBatch: (inputs: readonly In[]) => Promise<Out[]>, maxBatch: number) {
    this.#runBatch = runBatch;
    this.#maxBatch = maxBatch;
  }

  run(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      afterNextTurn(() => this.#flush());
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = [];
    for (let i = 0; i < pending.length; i += this.#maxBatch) {
      void this.#send(pending.slice(i, i + this.#maxBatch));
    }
  }

  async #send(batch: Pending<In, Out>[]): Promise<void> {
    try {
      const outputs = await this.#one(batch.map((p) => p.input));
      for (const [i, p] of batch.entries()) p.resolve(outputs[i] as Out);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      await Promise.all(
        batch.map(async (p) => {
          try {
            p.resolve((await this.#one([p.input]))[0] as Out);
          } catch (single) {
            p.reject(single);
          }
        }),
      );
    }
  }

  async #one(inputs: readonly In[]): Promise<Out[]> {
    const outputs = await this.#runBatch(inputs);
    if (outputs.length !== inputs.length) {
      throw new Error(`batched statement answered ${outputs.length} rows for ${inputs.length} inputs`);
    }
    return outputs;
  }
}
