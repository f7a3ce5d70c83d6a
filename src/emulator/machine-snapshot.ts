// The whole-machine snapshot format: a config fingerprint, RAM, the clock, the CPU, every device by
// name and the PCI bus, as one declared, versioned state. Restoring checks the whole tree (every
// part's state included) against a machine built from the same config before touching anything.

import type { VirtualClock } from "./clock.ts";
import type { Device } from "./device.ts";
import type { MachineConfig } from "./machine-config.ts";
import type { PhysicalMemory } from "./memory.ts";
import { bool, map, part, range, str, StateError, StateLayout, typedUpTo, type SavedState, type Stateful } from "./state.ts";

export interface SnapshotParts {
  fingerprint: string;
  memory: PhysicalMemory;
  cpu: Stateful;
  clock: VirtualClock;
  devices: Device[];
  pciBus: Stateful;
}

/** What the layout reads and loads: the parts, with the devices by name. */
interface Snapshot extends Omit<SnapshotParts, "devices"> {
  devices: Record<string, Device>;
}

const MAX_RAM = 3072 * 1048576;

/** Loaded in this order: RAM and clock, then devices, the PCI bus (it re-announces every BAR to
 *  devices that have restored their own state), the CPU last. */
const MACHINE_STATE = new StateLayout<Snapshot>("machine", 1, {
  fingerprint: str({ set: () => {} }),
  ramSize: range(1 << 20, MAX_RAM, { get: (s: Snapshot) => s.memory.ramSize, set: () => {} }),
  ram: typedUpTo(Uint8Array, MAX_RAM, { get: (s: Snapshot) => s.memory.ram, set: (s: Snapshot, ram: Uint8Array) => s.memory.ram.set(ram) }),
  a20: bool({ get: (s: Snapshot) => s.memory.a20Enabled, set: (s: Snapshot, on: boolean) => s.memory.setA20(on) }),
  clock: part(),
  devices: map(part(), { entry: "device" }),
  pciBus: part(),
  cpu: part(),
});

function snapshot(p: SnapshotParts): Snapshot {
  return { ...p, devices: Object.fromEntries(p.devices.map((d) => [d.name, d])) };
}

export function saveMachineState(p: SnapshotParts): SavedState {
  return MACHINE_STATE.save(snapshot(p));
}

export function restoreMachineState(p: SnapshotParts, state: SavedState): void {
  const s = snapshot(p);
  // The configuration first: a snapshot of another machine is refused before its parts are read.
  const fingerprint = (state as Partial<SavedState> | null)?.fields?.fingerprint;
  if (typeof fingerprint === "string" && fingerprint !== p.fingerprint) {
    throw new StateError(`machine: snapshot was taken on a different machine configuration (${fingerprint}, this machine is ${p.fingerprint})`);
  }
  const f = MACHINE_STATE.check(state, s);
  const ram = f.ram as Uint8Array;
  if (ram.length !== p.memory.ramSize) throw new StateError(`machine: snapshot RAM is ${ram.length} bytes, this machine has ${p.memory.ramSize}`);
  MACHINE_STATE.apply(s, f);
}

/** A short hash of everything that shapes the machine: RAM size, firmware, boot recipe and cards
 *  (disk contents are device state, so only their sizes count here). */
export function machineFingerprint(config: MachineConfig): string {
  let h = 0x811c9dc5;
  const mix = (n: number) => {
    h ^= n & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  const text = (s: string) => {
    for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
    mix(0);
  };
  const bytes = (a: Uint8Array | undefined | null) => {
    if (!a) return text("none");
    text(String(a.length));
    // Sampled: every 64th byte plus the last 4 KiB (BIOS versions differ at the end too).
    for (let i = 0; i < a.length; i += 64) mix(a[i]);
    for (let i = Math.max(0, a.length - 4096); i < a.length; i++) mix(a[i]);
  };
  text(`mem=${config.memoryMiB};apic=${config.apic ?? true}`);
  bytes(config.bios);
  bytes(config.vgaBios);
  const b = config.boot;
  text(`boot=${b.kind}`);
  if (b.kind === "firmware") text(b.order.join(","));
  else {
    bytes(b.kernel);
    text(b.cmdline);
    if (b.kind === "linux") bytes(b.initrd);
  }
  for (const c of config.cards) {
    const { image, ...rest } = c as CardWithImage;
    text(JSON.stringify(rest));
    text(image === undefined ? "-" : image === null ? "empty" : String(image.length));
  }
  return `hx-${(h >>> 0).toString(16).padStart(8, "0")}`;
}

type CardWithImage = { image?: Uint8Array | null; [k: string]: unknown };
