import type { Logger } from '../log/logger.js';

/** One export pass. It should stop soon (finishing the page in hand) when `signal` aborts. */
export type Pass = (signal: AbortSignal) => Promise<void>;

export interface PassRunnerOptions {
  pass: Pass;
  logger: Logger;
  /** Shutdown: the pass in hand sees it through its own signal, and no pass starts after it. */
  signal: AbortSignal;
  /**
   * Why the pass in hand is still running (apps in flight, rate budget waits): added to the line a
   * skipped trigger logs.
   */
  explainBusy?: () => { why: string; fields: Record<string, unknown> };
}

/**
 * Runs passes one at a time. A trigger while a pass runs is skipped and logged, not queued: a queued pass
 * would only start late and overlap the next tick's work. A pass that throws is logged; the next trigger
 * runs as usual.
 */
export class PassRunner {
  private current: Promise<void> | null = null;

  constructor(private readonly o: PassRunnerOptions) {}

  /** Whether a pass is running. */
  get busy(): boolean {
    return this.current !== null;
  }

  /** Starts a pass unless one is running or shutdown began. Returns whether it started. */
  trigger(fields: Record<string, unknown> = {}): boolean {
    if (this.o.signal.aborted) return false;
    if (this.current !== null) {
      const busy = this.o.explainBusy?.();
      const msg = busy ? `pass still running; tick skipped: ${busy.why}` : 'pass still running; tick skipped';
      this.o.logger.info(msg, { ...fields, ...busy?.fields });
      return false;
    }
    const run = this.run();
    this.current = run;
    void run.finally(() => {
      if (this.current === run) this.current = null;
    });
    return true;
  }

  /** Resolves once no pass is running. */
  async idle(): Promise<void> {
    while (this.current !== null) await this.current;
  }

  private async run(): Promise<void> {
    // A fresh signal per pass: whatever listeners a pass forgets to remove go with it, instead of piling up
    // on the daemon's signal over thousands of passes.
    const controller = new AbortController();
    const shutdown = this.o.signal;
    const onShutdown = (): void => controller.abort(shutdown.reason);
    shutdown.addEventListener('abort', onShutdown, { once: true });
    try {
      await this.o.pass(controller.signal);
    } catch (e: unknown) {
      this.o.logger.error('pass failed; the schedule goes on', { error: e instanceof Error ? e.message : String(e) });
    } finally {
      shutdown.removeEventListener('abort', onShutdown);
    }
  }
}
