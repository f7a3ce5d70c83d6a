// The hypervisor's event log: VM lifecycle, configuration changes, guest resets, resource decisions
// and errors, each with a timestamp. Bounded: the oldest entries fall off.

export type EventKind = "lifecycle" | "config" | "reset" | "resource" | "snapshot" | "error";
export type EventLevel = "info" | "warn" | "error";

export interface LogEntry {
  seq: number;
  /** Wall-clock milliseconds since the epoch. */
  time: number;
  vmId: string | null;
  kind: EventKind;
  level: EventLevel;
  message: string;
}

export class EventLog {
  private readonly entries: LogEntry[] = [];
  private nextSeq = 1;

  constructor(
    private readonly limit = 2000,
    private readonly now: () => number = () => Date.now(),
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`event log: limit must be a positive integer, got ${limit}`);
  }

  add(vmId: string | null, kind: EventKind, message: string, level: EventLevel = kind === "error" ? "error" : "info"): LogEntry {
    const entry: LogEntry = { seq: this.nextSeq++, time: this.now(), vmId, kind, level, message };
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    return entry;
  }

  /** Entries with seq > afterSeq, oldest first (what a poller has not seen yet). */
  since(afterSeq = 0): LogEntry[] {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid].seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return this.entries.slice(lo);
  }

  forVm(vmId: string): LogEntry[] {
    return this.entries.filter((e) => e.vmId === vmId);
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }
}
