//! Turns "something changed" (events, reconnects, resubscriptions) into
//! re-fetches, coalesced so a burst costs one request.

/**
 * Coalesces re-fetch requests: requests within `delayMs` of each other cause
 * one run, and requests during a run cause exactly one more run after it.
 */
export class Refetcher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly delayMs = 150,
  ) {}

  request = (): void => {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.execute();
    }, this.delayMs);
  };

  private async execute() {
    this.running = true;
    try {
      await this.run();
    } catch {
      // The page shows its own error; a later request tries again.
    } finally {
      this.running = false;
    }
    if (this.again && !this.stopped) {
      this.again = false;
      this.request();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
