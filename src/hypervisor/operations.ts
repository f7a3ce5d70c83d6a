// Progress of the long snapshot operations (save, revert, suspend, resume, export, import, delete),
// polled by the dashboard for its progress bars: those running, and those that ended in the last
// minute (with their error, if any).

import type { OperationProgress } from "./snapshot-api.ts";

const KEEP_ENDED_MS = 60_000;

export interface Operation {
  readonly id: string;
  /** What it does now and how far it is (0..1). */
  step(phase: string, fraction?: number): void;
  done(): void;
  fail(error: string): void;
}

export class Operations {
  private readonly entries: { progress: OperationProgress; endedAt: number | null }[] = [];
  private next = 1;

  constructor(private readonly now: () => number) {}

  begin(kind: OperationProgress["kind"], vmId: string | null, phase: string): Operation {
    const progress: OperationProgress = { id: `op${this.next++}`, vmId, kind, phase, fraction: 0, done: false, error: null };
    const entry = { progress, endedAt: null as number | null };
    this.entries.push(entry);
    const end = () => {
      progress.done = true;
      entry.endedAt = this.now();
    };
    return {
      id: progress.id,
      step(phase, fraction) {
        if (progress.done) return;
        progress.phase = phase;
        if (fraction !== undefined) progress.fraction = Math.max(0, Math.min(1, fraction));
      },
      done() {
        if (progress.done) return;
        progress.fraction = 1;
        end();
      },
      fail(error) {
        if (progress.done) return;
        progress.error = error;
        end();
      },
    };
  }

  /** Copies of the running operations and those ended in the last minute. */
  list(): OperationProgress[] {
    const t = this.now();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e.endedAt !== null && t - e.endedAt > KEEP_ENDED_MS) this.entries.splice(i, 1);
    }
    return this.entries.map((e) => ({ ...e.progress }));
  }
}
