//! Reconnecting soon after the server is back. pusher-js waits out a whole
//! attempt timeout (15 s, doubling) after a refused connection before it tries
//! again, so a page stays offline for seconds after the server returns. While
//! the connection is down, this asks a cheap probe (the web server's `/health`)
//! about once a second and, when it answers, has pusher-js start a fresh attempt.

/** The part of pusher-js used here. */
export interface Reconnectable {
  connect(): void;
  disconnect(): void;
}

/** How often a down connection is probed, and so how soon after the server is back it is Live. */
export const NUDGE_INTERVAL_MS = 1000;

export class ReconnectNudger {
  private timer: ReturnType<typeof setInterval> | undefined;
  private probing = false;
  /** True while this nudger itself disconnects: that `disconnected` is not news. */
  nudging = false;

  constructor(
    private readonly pusher: Reconnectable,
    private readonly probe: () => Promise<boolean>,
    private readonly intervalMs = NUDGE_INTERVAL_MS,
  ) {}

  /** Follows pusher-js's state: probe while it is trying to connect, stop once connected. */
  onState(state: string): void {
    if (state === 'connecting' || state === 'unavailable') this.start();
    else if (!this.nudging) this.stop();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private start() {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  private async tick() {
    if (this.probing) return;
    this.probing = true;
    let up = false;
    try {
      up = await this.probe();
    } catch {
      up = false;
    } finally {
      this.probing = false;
    }
    if (!up || this.timer === undefined) return;
    this.nudging = true;
    try {
      this.pusher.disconnect();
      this.pusher.connect();
    } finally {
      this.nudging = false;
    }
  }
}

/** The probe pages use: the web server answers `/health`. */
export async function healthProbe(): Promise<boolean> {
  try {
    const response = await fetch('/health', { cache: 'no-store', credentials: 'omit' });
    return response.ok;
  } catch {
    return false;
  }
}
