import { describe, expect, it } from "vitest";
import type { OperationProgress } from "../../src/hypervisor/snapshot-api.ts";
import { MOMENT_MS, OperationWatch, operationTitle } from "../../src/ui/operation-watch.ts";

const op = (id: string, over: Partial<OperationProgress> = {}): OperationProgress => ({
  id, vmId: "vm-1", kind: "snapshot", phase: "writing chunks", fraction: 0.5, done: false, error: null, ...over,
});

describe("OperationWatch", () => {
  it("shows a progress bar only once an operation has run longer than a moment", () => {
    const w = new OperationWatch();
    expect(w.update([op("a")], 0).progress).toEqual([]);
    expect(w.update([op("a")], MOMENT_MS - 1).progress).toEqual([]);
    expect(w.update([op("a")], MOMENT_MS).progress.map((o) => o.id)).toEqual(["a"]);
  });

  it("says when an operation it saw running has ended (done or no longer listed), once", () => {
    const w = new OperationWatch();
    expect(w.update([op("a"), op("b")], 0)).toMatchObject({ ended: false, anyRunning: true });
    expect(w.update([op("a", { done: true, fraction: 1 }), op("b")], 100)).toMatchObject({ ended: true, anyRunning: true });
    expect(w.update([op("a", { done: true, fraction: 1 }), op("b")], 200).ended).toBe(false);
    expect(w.update([], 300)).toMatchObject({ ended: true, anyRunning: false });
  });

  it("lists failed operations with their error", () => {
    const w = new OperationWatch();
    const failed = op("a", { done: true, error: "quota exceeded: 120 MiB more needed" });
    expect(w.update([failed, op("b", { done: true })], 0).failed).toEqual([failed]);
  });

  it("titles an operation by kind and VM name", () => {
    expect(operationTitle(op("a", { kind: "revert" }), () => "Linux")).toBe("Reverting Linux");
    expect(operationTitle(op("a"), () => "Linux")).toBe("Taking a snapshot of Linux");
    expect(operationTitle(op("a", { kind: "import", vmId: null }), () => "?")).toBe("Importing a VM");
  });
});
