// The Hypertab dashboard: host bar (RAM budget, totals), the VMs side by side with their consoles,
// the create-VM dialog and the event log. Polls the hypervisor for state; screens and input go
// through shared memory (VmIo), not through messages.

import { memo, startTransition, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { HostInfo, LogEntry, VmInfo } from "../hypervisor/hypervisor-api.ts";
import { CreateVmDialog } from "./create-vm-dialog.tsx";
import { installDebugHooks } from "./debug-hooks.ts";
import { formatRate } from "./format.ts";
import { hypervisor } from "./hypervisor-client.ts";
import { VmIo } from "./vm-io.ts";
import { channelsUnlessRemoved, REMOVED } from "./channels-unless-removed.ts";
import { oneRunAtATime } from "./one-run-at-a-time.ts";
import { VmPanel } from "./vm-panel.tsx";
import { restoreSetup, saveSetup } from "./saved-setup.ts";

let bootstrap: Promise<unknown> | null = null;
let restored = false;

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
  const lastSeq = useRef(0);

  const refresh = useMemo(() => oneRunAtATime(async () => {
    const [listed, h, events] = await Promise.all([hv.list(), hv.host(), hv.events(lastSeq.current)]);
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
    if (restored) saveSetup(list);
    if (events.length) lastSeq.current = events[events.length - 1].seq;
    // A transition: React renders the dashboard in slices of a few milliseconds between other
    // tasks instead of one long task, so typing and console output are never held up by it.
    startTransition(() => {
      setVms(list);
      setHost(h);
      if (events.length) setLog((old) => [...old, ...events].slice(-500));
    });
  }), [hv]);

  useEffect(() => {
    installDebugHooks(hv, ios, refresh);
    bootstrap ??= restoreSetup(hv).then(
      (problems) => {
        restored = true;
        if (problems.length) setNotice(`Saved setup: ${problems.join("; ")}`);
      },
      (e: unknown) => setNotice(`Starting the VMs: ${e instanceof Error ? e.message : String(e)}`),
    );
    let stopped = false;
    const loop = async () => {
      while (!stopped) {
        try {
          await refresh();
        } catch (e) {
          setNotice(`hypervisor: ${e instanceof Error ? e.message : String(e)}`);
        }
        await new Promise((r) => setTimeout(r, 500));
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
      fn().then(
        () => refresh(),
        (e: unknown) => setNotice(`${what}: ${e instanceof Error ? e.message : String(e)}`),
      );
    },
    [refresh],
  );

  const ledger = host?.ledger;
  const usedPct = ledger ? (ledger.usedMiB / ledger.budgetMiB) * 100 : 0;
  const panels = useMemo(
    () =>
      vms.map((vm) => (
        <VmPanel key={vm.id} vm={vm} io={ios.get(vm.id)?.io ?? null} host={host} others={vms.filter((o) => o.id !== vm.id)} act={act} hv={hv} />
      )),
    [vms, host, act, hv, ioVersion], // eslint-disable-line react-hooks/exhaustive-deps
  );

  return (
    <div className="app">
      <header className="topbar">
        <h1>Hypertab</h1>
        <div className="host" data-testid="host">
          <div className="ram" title="Host RAM budget reserved by VMs (guest RAM + VRAM)">
            <span>RAM</span>
            <div className="bar"><div className="bar-fill" style={{ width: `${usedPct}%` }} /></div>
            <span data-testid="host-ram">{ledger ? `${ledger.usedMiB} MiB used · ${ledger.freeMiB} MiB free / ${ledger.budgetMiB} MiB` : "…"}</span>
          </div>
          <span>{host ? `${host.runningCount}/${host.vmCount} running` : ""}</span>
          <span>{host ? formatRate(host.totalInstructionsPerSec) : ""}</span>
          <span>{host ? `CPU ${host.totalCpuPercent.toFixed(0)}%` : ""}</span>
          <span className="muted">{globalThis.crossOriginIsolated ? "isolated" : "NOT cross-origin isolated"}</span>
        </div>
        <button className="primary" onClick={() => setCreating(true)} data-testid="create-vm">New VM</button>
      </header>
      {notice && <div className="notice" role="alert" data-testid="notice">{notice}<button onClick={() => setNotice("")}>×</button></div>}
      {host && host.catalogProblems.length > 0 && <div className="notice">Guest manifest: {host.catalogProblems.join("; ")}</div>}
      <main className="vms">{panels.length ? panels : <p className="muted">No VMs yet.</p>}</main>
      <EventLogView log={log} />
      {creating && <CreateVmDialog host={host} onClose={() => setCreating(false)} onCreated={() => void refresh()} />}
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
