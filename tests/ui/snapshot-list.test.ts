import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { SnapshotInfo } from "../../src/hypervisor/snapshot-api.ts";
import { snapshotForest } from "../../src/ui/snapshot-forest.ts";
import { SnapshotList, type NodeActions } from "../../src/ui/snapshot-tree-view.tsx";

const snap = (id: string, parentId: string | null, takenAt: number, name = id): SnapshotInfo => ({
  id, vmId: "vm-1", name, description: "", takenAt, parentId, thumbnailPng: null, ramBytes: 0, storedBytes: 2 ** 20, kind: "snapshot",
});
const actions: NodeActions = { revert() {}, remove() {}, exportSnapshot() {}, busy: false };

describe("SnapshotList", () => {
  it("lists each snapshot under its parent with labelled Revert, Export and Delete buttons, and you-are-here under the current one", () => {
    const html = renderToStaticMarkup(createElement(SnapshotList, {
      vmId: "vm-1",
      forest: snapshotForest({ vmId: "vm-1", currentId: "b", snapshots: [snap("a", null, 1, "s1"), snap("b", "a", 2, "s2")] }),
      actions,
    }));
    // s2 is nested in s1's item, and "you are here" in s2's.
    expect(html).toMatch(/<li data-testid="snapshot-a" data-name="s1"[^>]*>.*<ul><li data-testid="snapshot-b" data-name="s2"[^>]*>.*<ul><li[^>]*data-testid="you-are-here"/s);
    for (const label of ["Revert to snapshot s1", "Export snapshot s1 to a file", "Delete snapshot s1", "Revert to snapshot s2"]) expect(html).toContain(`aria-label="${label}"`);
    expect(html).toContain("1 MiB stored");
  });

  it("shows you-are-here alone, saying there are no snapshots yet, for a VM without snapshots", () => {
    const html = renderToStaticMarkup(createElement(SnapshotList, { vmId: "vm-1", forest: snapshotForest({ vmId: "vm-1", currentId: null, snapshots: [] }), actions }));
    expect(html).toMatch(/data-testid="you-are-here"[^>]*>.*You are here \(no snapshots yet\)/s);
  });
});
