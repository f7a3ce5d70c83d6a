// The Hypertab dashboard: host bar (RAM budget, storage, totals), the VMs side by side with their
// consoles and snapshot trees, the create-VM dialog, VM import (button and drag-and-drop), the
// progress of long operations and the event log. Polls the hypervisor for state; screens and input
// go through shared memory (VmIo), not through messages. VM definitions, snapshots and suspended
// VMs live in the hypervisor's IndexedDB stores: createDefaultVms() brings them back on load.

import { memo, startTransition, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { HostInfo, LogEntry, VmInfo } from "../hypervisor/hypervisor-api.ts";
import type { OperationProgress, StorageUsage } from "../hypervisor/snapshot-api.ts";
import { CreateVmDialog } from "./create-vm-dialog.tsx";
import { installDebugHooks } from "./debug-hooks.ts";
import { formatRate } from "./format.ts";
import { hypervisor } from "./hypervisor-client.ts";
import { DropOverlay, ImportVmButton, importVmFile, useFileDrop } from "./import-vm.tsx";
import { OperationWatch } from "./operation-watch.ts";
import { OperationsView } from "./operations-view.tsx";
import { StorageUsageView } from "./storage-usage.tsx";
import { VmIo } from "./vm-io.ts";
import { channelsUnlessRemoved, REMOVED } from "./channels-unless-removed.ts";
import { oneRunAtATime } from "./one-run-at-a-time.ts";
import { VmPanel } from "./vm-panel.tsx";

/** How often the storage figures are fetched when no operation ends meanwhile. */
const STORAGE_POLL_MS = 10_000;
/** The dashboard's poll period, and the shorter one while an operation runs (its progress bar). */
const POLL_MS = 500;
const OPERATION_POLL_MS = 200;

let bootstrap: Promise<unknown> | null = null;
const operationWatch = new OperationWatch();

/** One VmIo per VM and guest generation (a restarted VM has new channels). */
const ios = new Map<string, { generation: number; io: VmIo | null }>();

export function App() {
  const hv = hypervisor();
  const [vms, setVms] = useState<VmInfo[]>([]);
  const [host, setHost] = useState<HostInfo | null>(null);
  const [log, setLog] = useState<LogEntry[]>([]);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState("");
  const [ioVersion, setIoVersion] = useState(0);
  const [progress, setProgress] = useState<OperationProgress[]>([]);
  const [failed, setFailed] = useState<OperationProgress[]>([]);
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const [storage, setStorage] = useState<StorageUsage | null>(null);
  /** Bumped after every action and every operation that ends: the snapshot trees are fetched again. */
  const [snapshotsVersion, setSnapshotsVersion] = useState(0);
  const lastSeq = useRef(0);
  const storageAt = useRef(-Infinity);
  const busy = useRef(false);
  const failedNow = useRef<OperationProgress[]>([]);

  const refresh = useMemo(() => oneRunAtATime(async () => {
    const [listed, h, events, ops] = await Promise.all([hv.list(), hv.host(), hv.events(lastSeq.current), hv.operations()]);
    const now = performance.now();
    const opView = operationWatch.update(ops, now);
    busy.current = opView.anyRunning;
    failedNow.current = opView.failed;
    let usage: StorageUsage | null = null;
    if (opView.ended || now - storageAt.current >= STORAGE_POLL_MS) {
      storageAt.current = now;
      usage = await hv.storageUsage();
    }
    const removed = new Set<string>();
    for (const vm of listed) {
      const known = ios.get(vm.id);
      // New guest worker, or channels not allocated yet when we last asked (VM still starting).
      if (!known || known.generation !== vm.generation || (known.io === null && vm.state !== "stopped")) {
        ios.set(vm.id, { generation: vm.generation, io: known?.io ?? null });
        const channels = await channelsUnlessRemoved(hv, vm.id);
        if (channels === REMOVED) {
          removed.add(vm.id);
          continue;
        }
        ios.set(vm.id, { generation: vm.generation, io: channels ? new VmIo(channels) : null });
        if (channels || known?.io) startTransition(() => setIoVersion((v) => v + 1));
      }
    }
    const list = listed.filter((v) => !removed.has(v.id));
    for (const id of [...ios.keys()]) if (!list.some((v) => v.id === id)) ios.delete(id);
    if (events.length) lastSeq.current = events[events.length - 1].seq;
    // A transition: React renders the dashboard in slices of a few milliseconds between other
    // tasks instead of one long task, so typing and console output are never held up by it.
    startTransition(() => {
      setVms(list);
      setHost(h);
      if (events.length) setLog((old) => [...old, ...events].slice(-500));
      setProgress(opView.progress);
      setFailed(opView.failed);
      if (usage) setStorage(usage);
      if (opView.ended) setSnapshotsVersion((v) => v + 1);
    });
  }), [hv]);

  useEffect(() => {
    installDebugHooks(hv, ios, refresh);
    // The VMs stored in IndexedDB come back (suspended ones as suspended), else the default pair.
    bootstrap ??= hv.createDefaultVms().catch((e: unknown) => setNotice(`Starting the VMs: ${e instanceof Error ? e.message : String(e)}`));
    let stopped = false;
    const loop = async () => {
      while (!stopped) {
        try {
          await refresh();
        } catch (e) {
          setNotice(`hypervisor: ${e instanceof Error ? e.message : String(e)}`);
        }
        await new Promise((r) => setTimeout(r, busy.current ? OPERATION_POLL_MS : POLL_MS));
      }
    };
    void loop();
    return () => {
      stopped = true;
    };
  }, [hv, refresh]);

  const act = useCallback(
    (what: string, fn: () => Promise<unknown>) => {
      setNotice("");
      busy.current = true; // poll the operation it may start at the short period
      fn().then(
        () => {
          setSnapshotsVersion((v) => v + 1);
          return refresh();
        },
        async (e: unknown) => {
          setSnapshotsVersion((v) => v + 1);
          const message = e instanceof Error ? e.message : String(e);
          // A failed operation's error already has its banner: say it once.
          await refresh().catch(() => {});
          if (!failedNow.current.some((op) => op.error && (op.error.includes(message) || message.includes(op.error)))) setNotice(`${what}: ${message}`);
        },
      );
    },
    [refresh],
  );

  const importFiles = useCallback(
    (files: File[]) => {
      for (const file of files) act(`import ${file.name}`, () => importVmFile(hv, file));
    },
    [act, hv],
  );
  const drop = useFileDrop(importFiles);
  const vmName = useCallback((id: string) => vms.find((v) => v.id === id)?.name ?? id, [vms]);

  const ledger = host?.ledger;
  const usedPct = ledger ? (ledger.usedMiB / ledger.budgetMiB) * 100 : 0;
  const panels = useMemo(
    () =>
      vms.map((vm) => (
        <VmPanel key={vm.id} vm={vm} io={ios.get(vm.id)?.io ?? null} host={host} others={vms.filter((o) => o.id !== vm.id)} act={act} hv={hv} snapshotsVersion={snapshotsVersion} />
      )),
    [vms, host, act, hv, ioVersion, snapshotsVersion], // eslint-disable-line react-hooks/exhaustive-deps
  );

  return (
    <div className="app" {...drop.handlers}>
      <header className="topbar">
        <h1>Hypertab</h1>
        <div className="host" data-testid="host">
          <div className="ram" title="Host RAM budget reserved by VMs (guest RAM + VRAM)">
            <span>RAM</span>
            <div className="bar"><div className="bar-fill" style={{ width: `${usedPct}%` }} /></div>
            <span data-testid="host-ram">{ledger ? `${ledger.usedMiB} MiB used · ${ledger.freeMiB} MiB free / ${ledger.budgetMiB} MiB` : "…"}</span>
          </div>
          <StorageUsageView usage={storage} />
          <span>{host ? `${host.runningCount}/${host.vmCount} running` : ""}</span>
          <span>{host ? formatRate(host.totalInstructionsPerSec) : ""}</span>
          <span>{host ? `CPU ${host.totalCpuPercent.toFixed(0)}%` : ""}</span>
          <span className="muted">{globalThis.crossOriginIsolated ? "isolated" : "NOT cross-origin isolated"}</span>
        </div>
        <ImportVmButton onFiles={importFiles} />
        <button className="primary" onClick={() => setCreating(true)} data-testid="create-vm">New VM</button>
      </header>
      <OperationsView
        progress={progress}
        failed={failed.filter((op) => !dismissed.has(op.id))}
        vmName={vmName}
        onDismiss={(id) => setDismissed((old) => new Set(old).add(id))}
      />
      {notice && <div className="notice" role="alert" data-testid="notice">{notice}<button aria-label="Dismiss" onClick={() => setNotice("")}>×</button></div>}
      {host && host.catalogProblems.length > 0 && <div className="notice">Guest manifest: {host.catalogProblems.join("; ")}</div>}
      <main className="vms">{panels.length ? panels : <p className="muted">No VMs yet.</p>}</main>
      <EventLogView log={log} />
      {creating && <CreateVmDialog host={host} onClose={() => setCreating(false)} onCreated={() => void refresh()} />}
      {drop.over && <DropOverlay />}
    </div>
  );
}

/** hh:mm:ss, without Date.toLocaleTimeString (it builds a formatter per call: far too slow). */
function clockTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const EventLogView = memo(function EventLogView(props: { log: LogEntry[] }) {
  return (
    <section className="log">
      <h2>Event log</h2>
      <ol data-testid="event-log">
        {[...props.log].reverse().map((e) => (
          <li key={e.seq} className={`log-${e.level}`}>
            <time>{clockTime(e.time)}</time>
            <span className="log-vm">{e.vmId ?? "host"}</span>
            <span className="log-kind">{e.kind}</span>
            <span>{e.message}</span>
          </li>
        ))}
      </ol>
    </section>
  );
});
