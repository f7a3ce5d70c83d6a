import { describe, expect, it } from "vitest";
import type { SnapshotInfo } from "../../src/hypervisor/snapshot-api.ts";
import { snapshotForest, type SnapshotNode } from "../../src/ui/snapshot-forest.ts";

const snap = (id: string, parentId: string | null, takenAt: number, kind: SnapshotInfo["kind"] = "snapshot"): SnapshotInfo => ({
  id, vmId: "vm-1", name: id, description: "", takenAt, parentId, thumbnailPng: null, ramBytes: 0, storedBytes: 0, kind,
});

/** The forest as nested names, e.g. ["a", ["b", "c"]]. */
const shape = (nodes: SnapshotNode[]): unknown[] => nodes.map((n) => (n.children.length ? [n.snapshot.id, shape(n.children)] : n.snapshot.id));

describe("snapshotForest", () => {
  it("hangs each snapshot from its parent, oldest first, and marks where the VM is", () => {
    const f = snapshotForest({ vmId: "vm-1", currentId: "b", snapshots: [snap("c", "a", 30), snap("a", null, 10), snap("b", "a", 20), snap("d", null, 40)] });
    expect(shape(f.roots)).toEqual([["a", ["b", "c"]], "d"]);
    expect(f.hereParentId).toBe("b");
  });

  it("leaves suspend states out: their children hang from their parent, and so does you-are-here", () => {
    const f = snapshotForest({ vmId: "vm-1", currentId: "s", snapshots: [snap("a", null, 10), snap("s", "a", 20, "suspend"), snap("b", "s", 30)] });
    expect(shape(f.roots)).toEqual([["a", ["b"]]]);
    expect(f.hereParentId).toBe("a");
  });

  it("makes a snapshot whose parent is gone a root, and you-are-here without a snapshot a root", () => {
    const f = snapshotForest({ vmId: "vm-1", currentId: null, snapshots: [snap("b", "deleted", 20)] });
    expect(shape(f.roots)).toEqual(["b"]);
    expect(f.hereParentId).toBeNull();
  });

  it("survives a loop of parent links (bad data): every snapshot is still shown once", () => {
    const f = snapshotForest({ vmId: "vm-1", currentId: "a", snapshots: [snap("a", "b", 10), snap("b", "a", 20), snap("c", "c", 30)] });
    const ids: string[] = [];
    const walk = (nodes: SnapshotNode[]) => nodes.forEach((n) => (ids.push(n.snapshot.id), walk(n.children)));
    walk(f.roots);
    expect(ids.sort()).toEqual(["a", "b", "c"]);
  });
});
