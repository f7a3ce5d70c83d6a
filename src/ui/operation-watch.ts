// What the dashboard shows of the hypervisor's long operations (save, restore, export, import), from
// successive polls of operations(): a progress bar only for one that has run longer than a moment
// (a quick one would only flash), the errors of failed ones, and whether one ended since the last
// poll (the snapshot trees and the storage figures are then fetched again).

import type { OperationProgress } from "../hypervisor/snapshot-api.ts";

/** How long an operation runs before it gets a progress bar. */
export const MOMENT_MS = 300;

export interface OperationView {
  /** Running operations older than a moment, oldest first. */
  progress: OperationProgress[];
  /** Failed operations the hypervisor still lists (the last minute). */
  failed: OperationProgress[];
  /** Some operation seen running before has ended (or is no longer listed). */
  ended: boolean;
  anyRunning: boolean;
}

export class OperationWatch {
  private readonly firstSeen = new Map<string, number>();

  update(ops: readonly OperationProgress[], now: number): OperationView {
    let ended = false;
    const listed = new Set(ops.map((o) => o.id));
    for (const [id] of this.firstSeen) {
      const op = ops.find((o) => o.id === id);
      if (!listed.has(id) || op?.done) {
        ended = true;
        this.firstSeen.delete(id);
      }
    }
    const running = ops.filter((o) => !o.done);
    for (const o of running) if (!this.firstSeen.has(o.id)) this.firstSeen.set(o.id, now);
    const progress = running.filter((o) => now - this.firstSeen.get(o.id)! >= MOMENT_MS).sort((a, b) => this.firstSeen.get(a.id)! - this.firstSeen.get(b.id)!);
    return { progress, failed: ops.filter((o) => o.done && o.error !== null), ended, anyRunning: running.length > 0 };
  }
}

/** What each kind of operation does, with and without a VM to name. */
const KIND_LABELS: Record<OperationProgress["kind"], [string, string]> = {
  snapshot: ["Taking a snapshot of", "Taking a snapshot"],
  revert: ["Reverting", "Reverting"],
  suspend: ["Suspending", "Suspending"],
  resume: ["Resuming", "Resuming"],
  export: ["Exporting", "Exporting"],
  import: ["Importing", "Importing a VM"],
  delete: ["Deleting a snapshot of", "Deleting a snapshot"],
};

/** "Taking a snapshot of Linux", for a progress bar or an error banner. */
export function operationTitle(op: OperationProgress, vmName: (id: string) => string): string {
  const [withVm, alone] = KIND_LABELS[op.kind] ?? [op.kind, op.kind];
  return op.vmId ? `${withVm} ${vmName(op.vmId)}` : alone;
}
