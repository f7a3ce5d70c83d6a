// The switch's forwarding database: which port a source MAC was last seen on, forgotten after an
// ageing time (802.1D's default is 300 s) so a MAC that moved or went away is flooded again. Bounded:
// when full, the entry seen longest ago makes room (a guest spraying random source MACs cannot
// grow it).

export interface MacEntry {
  portId: number;
  lastSeenMs: number;
}

export class MacTable {
  private readonly entries = new Map<number, MacEntry>();

  constructor(
    readonly ageingMs = 300_000,
    readonly capacity = 4096,
  ) {
    if (!(ageingMs > 0)) throw new RangeError(`MAC ageing time must be positive, got ${ageingMs}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`MAC table capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  learn(mac: number, portId: number, nowMs: number): void {
    const e = this.entries.get(mac);
    if (e) {
      // Re-insert so the Map's order stays "least recently seen first".
      this.entries.delete(mac);
      e.portId = portId;
      e.lastSeenMs = nowMs;
      this.entries.set(mac, e);
      return;
    }
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value as number;
      this.entries.delete(oldest);
    }
    this.entries.set(mac, { portId, lastSeenMs: nowMs });
  }

  /** The port for `mac`, or -1 when unknown or aged out. */
  lookup(mac: number, nowMs: number): number {
    const e = this.entries.get(mac);
    if (!e) return -1;
    if (nowMs - e.lastSeenMs >= this.ageingMs) {
      this.entries.delete(mac);
      return -1;
    }
    return e.portId;
  }

  /** Drops every entry pointing at a port (it was detached). */
  forgetPort(portId: number): void {
    for (const [mac, e] of this.entries) if (e.portId === portId) this.entries.delete(mac);
  }

  /** Drops aged entries (lookups age lazily; this keeps the size honest for display). */
  expire(nowMs: number): void {
    for (const [mac, e] of this.entries) {
      if (nowMs - e.lastSeenMs < this.ageingMs) break; // ordered by last seen
      this.entries.delete(mac);
    }
  }

  list(): { mac: number; portId: number; lastSeenMs: number }[] {
    return Array.from(this.entries, ([mac, e]) => ({ mac, ...e }));
  }
}
