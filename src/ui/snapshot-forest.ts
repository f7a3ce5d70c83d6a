// A VM's snapshot list (flat, with parent links) as the tree the dashboard draws. Suspend states
// are not the user's snapshots: they are left out and their children hang from their parent. A
// parent that is not listed (or a loop of parent links, from bad data) makes a snapshot a root.

import type { SnapshotInfo, SnapshotTree } from "../hypervisor/snapshot-api.ts";

export interface SnapshotNode {
  snapshot: SnapshotInfo;
  /** Oldest first. */
  children: SnapshotNode[];
}

export interface SnapshotForest {
  /** Oldest first. */
  roots: SnapshotNode[];
  /** The listed snapshot "you are here" hangs from (null: from no snapshot). */
  hereParentId: string | null;
}

export function snapshotForest(tree: SnapshotTree): SnapshotForest {
  const byId = new Map(tree.snapshots.map((s) => [s.id, s]));
  /** The nearest listed user snapshot at or above `id`, or null. */
  const shownAncestor = (id: string | null): string | null => {
    const seen = new Set<string>();
    let at = id;
    while (at !== null && !seen.has(at)) {
      seen.add(at);
      const s = byId.get(at);
      if (!s) return null;
      if (s.kind === "snapshot") return at;
      at = s.parentId;
    }
    return null;
  };
  const nodes = new Map<string, SnapshotNode>();
  for (const s of tree.snapshots) if (s.kind === "snapshot") nodes.set(s.id, { snapshot: s, children: [] });
  const roots: SnapshotNode[] = [];
  for (const node of nodes.values()) {
    const parent = shownAncestor(node.snapshot.parentId);
    if (parent === null || parent === node.snapshot.id || descendsFrom(parent, node.snapshot.id, nodes, shownAncestor)) roots.push(node);
    else nodes.get(parent)!.children.push(node);
  }
  const byTime = (a: SnapshotNode, b: SnapshotNode) => a.snapshot.takenAt - b.snapshot.takenAt;
  for (const node of nodes.values()) node.children.sort(byTime);
  roots.sort(byTime);
  return { roots, hereParentId: shownAncestor(tree.currentId) };
}

/** True when `id`'s chain of shown parents reaches `ancestor` (a loop in the parent links). */
function descendsFrom(id: string, ancestor: string, nodes: Map<string, SnapshotNode>, shownAncestor: (id: string | null) => string | null): boolean {
  const seen = new Set<string>();
  let at: string | null = id;
  while (at !== null && !seen.has(at)) {
    if (at === ancestor) return true;
    seen.add(at);
    at = shownAncestor(nodes.get(at)?.snapshot.parentId ?? null);
  }
  return false;
}
