// One VM: state badge, controls (suspend and resume included), live counters and graphs, its
// consoles, send-key and paste, the hardware editor and its snapshots.

import { useState } from "react";
import { useAfterFrames } from "./after-frames.ts";
import type { VmInfo } from "../hypervisor/hypervisor-api.ts";
import { formatCount, formatRate, formatUptime } from "./format.ts";
import { HardwareEditor } from "./hardware-editor.tsx";
import type { Hv } from "./hypervisor-client.ts";
import { SnapshotTreeView } from "./snapshot-tree-view.tsx";
import { SerialConsole } from "./serial-console.tsx";
import { Sparkline } from "./sparkline.tsx";
import { VgaConsole } from "./vga-console.tsx";
import type { VmIo } from "./vm-io.ts";
import type { HostInfo } from "../hypervisor/hypervisor-api.ts";

const SEND_KEYS: { label: string; codes: string[] }[] = [
  { label: "Ctrl+Alt+Del", codes: ["ControlLeft", "AltLeft", "Delete"] },
  ...[1, 2, 3, 4, 5, 6].map((n) => ({ label: `Ctrl+Alt+F${n}`, codes: ["ControlLeft", "AltLeft", `F${n}`] })),
  ...[1, 2, 3, 4].map((n) => ({ label: `Alt+F${n}`, codes: ["AltLeft", `F${n}`] })),
  { label: "Ctrl+C", codes: ["ControlLeft", "KeyC"] },
  { label: "Esc", codes: ["Escape"] },
  { label: "Enter", codes: ["Enter"] },
  { label: "SysRq (Alt+PrintScreen)", codes: ["AltLeft", "PrintScreen"] },
];

export function VmPanel(props: {
  vm: VmInfo;
  io: VmIo | null;
  host: HostInfo | null;
  others: VmInfo[];
  act: (what: string, fn: () => Promise<unknown>) => void;
  hv: Hv;
  /** Changes after every action and finished operation (the snapshot tree is fetched again). */
  snapshotsVersion: number;
}) {
  const { vm, io, act, hv } = props;
  const [editing, setEditing] = useState(false);
  const [paste, setPaste] = useState<string | null>(null);
  // A new panel builds up over a few frames (header; counters and graphs; VGA; serial), so that a
  // VM appearing, or two at once, is several short main-thread tasks instead of one long one.
  const metricsReady = useAfterFrames(1);
  const vgaReady = useAfterFrames(2);
  const serialReady = useAfterFrames(3);
  const s = vm.stats;
  const live = vm.state === "running" || vm.state === "paused" || vm.state === "starting";
  const suspended = vm.state === "suspended";
  return (
    <section className="vm" data-testid={`vm-${vm.id}`} data-state={vm.state}>
      <header className="vm-head">
        <div className="vm-title">
          <span className={`badge badge-${vm.state}`} data-testid={`badge-${vm.id}`}>{vm.state}</span>
          <strong>{vm.name}</strong>
          <span className="muted">{vm.id} · {vm.guestLabel} · {vm.memoryMiB} MiB · share {vm.share}{vm.capPercent < 100 ? ` · cap ${vm.capPercent}%` : ""}</span>
        </div>
        <div className="vm-actions">
          {!live && !suspended && <button onClick={() => act(`start ${vm.id}`, () => hv.start(vm.id))}>Start</button>}
          {suspended && (
            <button className="primary" data-testid={`resume-suspended-${vm.id}`} onClick={() => act(`resume ${vm.name}`, () => hv.resumeSuspended(vm.id))}>
              Resume
            </button>
          )}
          {vm.state === "running" && <button data-testid={`pause-${vm.id}`} onClick={() => act(`pause ${vm.id}`, () => hv.pause(vm.id))}>Pause</button>}
          {vm.state === "paused" && <button data-testid={`resume-${vm.id}`} onClick={() => act(`resume ${vm.id}`, () => hv.resume(vm.id))}>Resume</button>}
          {(vm.state === "running" || vm.state === "paused") && (
            <button data-testid={`suspend-${vm.id}`} title="Store the VM's whole state and end its worker; Resume continues it, after a reload too" onClick={() => act(`suspend ${vm.name}`, () => hv.suspend(vm.id))}>
              Suspend
            </button>
          )}
          {live && <button onClick={() => act(`reset ${vm.id}`, () => hv.reset(vm.id))}>Reset</button>}
          {live && <button onClick={() => act(`stop ${vm.id}`, () => hv.stop(vm.id))}>Stop</button>}
          {io && live && (
            <select
              aria-label="Send key"
              value=""
              onChange={(e) => {
                const k = SEND_KEYS.find((x) => x.label === e.target.value);
                if (k) io.sendCombo(k.codes);
              }}
            >
              <option value="">Send key…</option>
              {SEND_KEYS.map((k) => <option key={k.label}>{k.label}</option>)}
            </select>
          )}
          {io && live && <button onClick={() => setPaste(paste === null ? "" : null)}>Paste…</button>}
          <button onClick={() => setEditing(!editing)}>Hardware</button>
          {!live && <button className="danger" onClick={() => act(`remove ${vm.id}`, () => hv.remove(vm.id))}>Remove</button>}
        </div>
      </header>
      {vm.reason && <div className={vm.state === "crashed" ? "reason error" : "reason"} data-testid={`reason-${vm.id}`}>{vm.reason}</div>}
      {vm.pendingRestart.length > 0 && <div className="reason warn">Restart to apply: {vm.pendingRestart.join(", ")}</div>}
      {paste !== null && io && (
        <div className="paste">
          <textarea value={paste} onChange={(e) => setPaste(e.target.value)} placeholder="Text to type into the guest" rows={2} />
          {vm.consoles.serial && <button onClick={() => { io.sendSerialText(paste); setPaste(null); }}>Type on serial</button>}
          {vm.consoles.vga && <button onClick={() => { io.typeAsKeys(paste); setPaste(null); }}>Type as keystrokes</button>}
        </div>
      )}
      {metricsReady && <SnapshotTreeView vm={vm} hv={hv} act={act} version={props.snapshotsVersion} live={vm.state === "running" || vm.state === "paused"} suspended={suspended} />}
      {editing && <HardwareEditor vm={vm} host={props.host} others={props.others} act={act} onClose={() => setEditing(false)} />}
      {metricsReady && <div className="metrics" data-testid={`metrics-${vm.id}`}>
        <Sparkline values={s.historyIps} color="#4aa3ff" label="instr/s" format={formatRate} />
        <Sparkline values={s.historyCpu} max={100} color="#f2a541" label="CPU" format={(v) => `${v.toFixed(0)}%`} />
        <dl>
          <div><dt>instructions</dt><dd data-testid={`instructions-${vm.id}`} data-value={s.instructions}>{formatCount(s.instructions)}</dd></div>
          <div><dt>interrupts</dt><dd>{formatCount(s.interrupts)}</dd></div>
          <div><dt>I/O r/w</dt><dd>{formatCount(s.ioReads)}/{formatCount(s.ioWrites)}</dd></div>
          <div><dt>serial out/in</dt><dd>{formatCount(s.serialOut)}/{formatCount(s.serialIn)}</dd></div>
          <div><dt>keys/mouse</dt><dd>{formatCount(s.keyEvents)}/{formatCount(s.mouseEvents)}</dd></div>
          <div><dt>frames</dt><dd>{formatCount(s.frames)}</dd></div>
          <div><dt>uptime</dt><dd>{formatUptime(s.uptimeSec)}</dd></div>
          <div><dt>CPU time</dt><dd data-testid={`cpu-share-${vm.id}`}>{cpuShareText(s.cpuPercent, s.cpuEntitledPercent, s.cpuTimeSec)}</dd></div>
          <div><dt>slice</dt><dd>{s.cpuBudgetPercent ? `≤${s.cpuBudgetPercent.toFixed(0)}% of a core` : "unlimited"}</dd></div>
          <div><dt>stepped aside</dt><dd title="time spent leaving the core to a late page">{s.pageYieldPercent.toFixed(1)}% · {s.pageYieldSec.toFixed(1)} s</dd></div>
        </dl>
      </div>}
      <div className="consoles">
        {/* Keys name the pane and the channels: two panes of one VmIo under one key made React
            warn on every render and leave a stale pane behind when the channels changed. */}
        {io && vgaReady && vm.consoles.vga && <VgaConsole key={`vga-${io.serial}`} io={io} vmId={vm.id} />}
        {io && serialReady && vm.consoles.serial && <SerialConsole key={`serial-${io.serial}`} io={io} vmId={vm.id} />}
        {!io && <div className="no-console muted">{vm.state === "starting" ? "Starting…" : suspended ? "Suspended: Resume continues where it was." : "No console: the VM is not running."}</div>}
      </div>
    </section>
  );
}

/** The CPU a VM got against what its share entitles it to, in % of one core, and its total. */
function cpuShareText(gotPercent: number, entitledPercent: number, totalSec: number): string {
  return `${gotPercent.toFixed(0)}% of ${entitledPercent.toFixed(0)}% entitled · ${totalSec.toFixed(1)} s`;
}
