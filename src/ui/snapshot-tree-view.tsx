// A VM's snapshots: "Take snapshot" and "Export", and the snapshot tree (parent links, time,
// thumbnail, "you are here"), each snapshot with Revert, Delete (both asked first) and Export.

import { memo, useEffect, useState } from "react";
import type { VmInfo } from "../hypervisor/hypervisor-api.ts";
import type { SnapshotInfo, SnapshotTree } from "../hypervisor/snapshot-api.ts";
import { downloadBytes, safeFileName } from "./download.ts";
import { formatBytes, formatDateTime } from "./format.ts";
import type { Hv } from "./hypervisor-client.ts";
import { ConfirmDialog } from "./modal.tsx";
import { snapshotForest, type SnapshotForest, type SnapshotNode } from "./snapshot-forest.ts";
import { TakeSnapshotDialog } from "./take-snapshot-dialog.tsx";

type Act = (what: string, fn: () => Promise<unknown>) => void;

interface Asking {
  title: string;
  message: string;
  confirmLabel: string;
  danger: boolean;
  run(): void;
}

export const SnapshotTreeView = memo(function SnapshotTreeView(props: {
  vm: VmInfo;
  hv: Hv;
  act: Act;
  /** Changes after every action and finished operation: the tree is fetched again. */
  version: number;
  /** The VM has a machine to snapshot (running or paused). */
  live: boolean;
  suspended: boolean;
}) {
  const { vm, hv, act, version } = props;
  const [tree, setTree] = useState<SnapshotTree | null>(null);
  const [error, setError] = useState("");
  const [taking, setTaking] = useState(false);
  const [asking, setAsking] = useState<Asking | null>(null);

  useEffect(() => {
    let cancelled = false;
    hv.snapshotTree(vm.id).then(
      (t) => {
        if (cancelled) return;
        setTree(t);
        setError("");
      },
      (e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [hv, vm.id, vm.state, vm.generation, version]);

  const exportState = (snapshot: SnapshotInfo | null) =>
    act(`export ${vm.name}${snapshot ? ` snapshot "${snapshot.name}"` : ""}`, async () => {
      const bytes = await hv.exportVm(vm.id, snapshot?.id ?? null);
      await downloadBytes(bytes, `${safeFileName(vm.name)}${snapshot ? `-${safeFileName(snapshot.name)}` : ""}.hypertab`);
    });
  const actions: NodeActions = {
    revert: (s) =>
      setAsking({
        title: `Revert ${vm.name}?`,
        message: `Revert "${vm.name}" to snapshot "${s.name}" (${formatDateTime(s.takenAt)})? The VM's current state is lost unless you take a snapshot first.`,
        confirmLabel: "Revert",
        danger: true,
        run: () => act(`revert ${vm.name} to "${s.name}"`, () => hv.revertToSnapshot(vm.id, s.id)),
      }),
    remove: (s) =>
      setAsking({
        title: `Delete snapshot "${s.name}"?`,
        message: `Delete snapshot "${s.name}" of "${vm.name}"? This cannot be undone; the snapshots taken after it stay.`,
        confirmLabel: "Delete",
        danger: true,
        run: () => act(`delete snapshot "${s.name}"`, () => hv.deleteSnapshot(vm.id, s.id)),
      }),
    exportSnapshot: (s) => exportState(s),
    busy: vm.state === "starting",
  };

  const forest = tree ? snapshotForest(tree) : null;
  const count = tree ? tree.snapshots.filter((s) => s.kind === "snapshot").length : 0;
  return (
    <section className="snapshots" aria-label={`Snapshots of ${vm.name}`} data-testid={`snapshots-${vm.id}`}>
      <div className="snapshots-head">
        <h3>Snapshots</h3>
        <button disabled={!props.live} onClick={() => setTaking(true)} data-testid={`take-snapshot-${vm.id}`} title={props.live ? undefined : "Start the VM to take a snapshot"}>
          Take snapshot…
        </button>
        <button disabled={!props.live && !props.suspended} onClick={() => exportState(null)} data-testid={`export-${vm.id}`} aria-label={`Export ${vm.name} (its current state) to a file`}>
          Export
        </button>
      </div>
      {error && <div className="reason error">Snapshots: {error}</div>}
      {forest && <SnapshotList vmId={vm.id} forest={forest} actions={actions} />}
      {taking && (
        <TakeSnapshotDialog
          vmName={vm.name}
          defaultName={`Snapshot ${count + 1}`}
          onTake={(name, description) => act(`snapshot ${vm.name}`, () => hv.takeSnapshot(vm.id, name, description))}
          onClose={() => setTaking(false)}
        />
      )}
      {asking && (
        <ConfirmDialog title={asking.title} message={asking.message} confirmLabel={asking.confirmLabel} danger={asking.danger} onConfirm={asking.run} onClose={() => setAsking(null)} />
      )}
    </section>
  );
});

/** The tree itself: each snapshot under its parent, "you are here" under the current one. */
export function SnapshotList(props: { vmId: string; forest: SnapshotForest; actions: NodeActions }) {
  const { forest, actions } = props;
  return (
    <ul className="snap-tree" data-testid={`snapshot-tree-${props.vmId}`}>
      {forest.roots.map((n) => <SnapshotItem key={n.snapshot.id} node={n} hereParentId={forest.hereParentId} actions={actions} />)}
      {forest.hereParentId === null && <YouAreHere empty={forest.roots.length === 0} />}
    </ul>
  );
}

export interface NodeActions {
  revert(s: SnapshotInfo): void;
  remove(s: SnapshotInfo): void;
  exportSnapshot(s: SnapshotInfo): void;
  busy: boolean;
}

function SnapshotItem(props: { node: SnapshotNode; hereParentId: string | null; actions: NodeActions }) {
  const { snapshot: s, children } = props.node;
  const { actions } = props;
  const here = props.hereParentId === s.id;
  return (
    <li data-testid={`snapshot-${s.id}`} data-name={s.name} className={here ? "snap current" : "snap"}>
      <div className="snap-row">
        <Thumbnail png={s.thumbnailPng} alt={`Screen of snapshot ${s.name}`} />
        <div className="snap-text">
          <strong className="snap-name">{s.name}</strong>
          <span className="muted"> {formatDateTime(s.takenAt)} · {formatBytes(s.storedBytes)} stored</span>
          {s.description && <div className="snap-description">{s.description}</div>}
        </div>
        <div className="snap-actions">
          <button disabled={actions.busy} onClick={() => actions.revert(s)} aria-label={`Revert to snapshot ${s.name}`} data-testid={`revert-${s.id}`}>Revert</button>
          <button onClick={() => actions.exportSnapshot(s)} aria-label={`Export snapshot ${s.name} to a file`} data-testid={`export-snapshot-${s.id}`}>Export</button>
          <button className="danger" onClick={() => actions.remove(s)} aria-label={`Delete snapshot ${s.name}`} data-testid={`delete-${s.id}`}>Delete</button>
        </div>
      </div>
      {(children.length > 0 || here) && (
        <ul>
          {children.map((c) => <SnapshotItem key={c.snapshot.id} node={c} hereParentId={props.hereParentId} actions={actions} />)}
          {here && <YouAreHere empty={false} />}
        </ul>
      )}
    </li>
  );
}

function YouAreHere(props: { empty: boolean }) {
  return (
    <li className="snap here" data-testid="you-are-here" aria-current="step">
      <span aria-hidden="true">▶ </span>You are here{props.empty ? " (no snapshots yet)" : ""}
    </li>
  );
}

/** A snapshot's screen, from its PNG bytes (an object URL, released when the item goes). */
function Thumbnail(props: { png: Uint8Array | null; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!props.png) return;
    const u = URL.createObjectURL(new Blob([props.png as Uint8Array<ArrayBuffer>], { type: "image/png" }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [props.png]);
  if (!props.png) return <div className="snap-thumb none" aria-hidden="true" />;
  return url ? <img className="snap-thumb" src={url} alt={props.alt} /> : <div className="snap-thumb" aria-hidden="true" />;
}
