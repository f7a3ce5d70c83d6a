// The whole-machine snapshot format: a config fingerprint, RAM, the clock, the CPU, every device by
// name and the PCI bus, as one named, versioned SavedState. Restoring checks that the snapshot was
// taken on a machine built from the same config before touching anything.

import type { VirtualClock } from "./clock.ts";
import type { Device } from "./device.ts";
import type { MachineConfig } from "./machine-config.ts";
import type { PhysicalMemory } from "./memory.ts";
import { expectState, StateError, stringField, type SavedState, type StateValue, type Stateful } from "./state.ts";

export interface SnapshotParts {
  fingerprint: string;
  memory: PhysicalMemory;
  cpu: Stateful;
  clock: VirtualClock;
  devices: Device[];
  pciBus: Stateful;
}

const TYPE = "machine";
const VERSION = 1;

function nest(s: SavedState): StateValue {
  return { type: s.type, version: s.version, fields: s.fields };
}

function unnest(v: StateValue | undefined, what: string): SavedState {
  if (typeof v !== "object" || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) throw new StateError(`machine: ${what} state is missing`);
  const o = v as { [k: string]: StateValue };
  if (typeof o.type !== "string" || typeof o.version !== "number" || typeof o.fields !== "object" || o.fields === null || ArrayBuffer.isView(o.fields)) {
    throw new StateError(`machine: ${what} state is malformed (needs type, version, fields)`);
  }
  return { type: o.type, version: o.version, fields: o.fields as SavedState["fields"] };
}

export function saveMachineState(p: SnapshotParts): SavedState {
  const devices: { [name: string]: StateValue } = {};
  for (const d of p.devices) devices[d.name] = nest(d.saveState());
  return {
    type: TYPE,
    version: VERSION,
    fields: {
      fingerprint: p.fingerprint,
      ramSize: p.memory.ramSize,
      ram: p.memory.ram.slice(),
      a20: p.memory.a20Enabled,
      clock: nest(p.clock.saveState()),
      cpu: nest(p.cpu.saveState()),
      pciBus: nest(p.pciBus.saveState()),
      devices,
    },
  };
}

export function restoreMachineState(p: SnapshotParts, state: SavedState): void {
  const f = expectState(state, TYPE, VERSION);
  const fingerprint = stringField(f, TYPE, "fingerprint");
  if (fingerprint !== p.fingerprint) {
    throw new StateError(`machine: snapshot was taken on a different machine configuration (${fingerprint}, this machine is ${p.fingerprint})`);
  }
  const ram = f.ram;
  if (!(ram instanceof Uint8Array)) throw new StateError(`machine: field "ram" must be a Uint8Array`);
  if (ram.length !== p.memory.ramSize) throw new StateError(`machine: snapshot RAM is ${ram.length} bytes, this machine has ${p.memory.ramSize}`);
  const saved = f.devices;
  if (typeof saved !== "object" || saved === null || Array.isArray(saved) || ArrayBuffer.isView(saved)) throw new StateError(`machine: field "devices" must be an object`);
  const savedDevices = saved as { [name: string]: StateValue };
  // Check everything first, so a bad snapshot leaves the running machine untouched.
  const deviceStates = p.devices.map((d) => {
    if (!(d.name in savedDevices)) throw new StateError(`machine: snapshot has no state for device "${d.name}"`);
    return unnest(savedDevices[d.name], `device "${d.name}"`);
  });
  for (const name of Object.keys(savedDevices)) {
    if (!p.devices.some((d) => d.name === name)) throw new StateError(`machine: snapshot has device "${name}" that this machine does not have`);
  }
  const clock = unnest(f.clock, "clock");
  const cpu = unnest(f.cpu, "cpu");
  const pciBus = unnest(f.pciBus, "pci bus");

  p.clock.loadState(clock);
  p.memory.ram.set(ram);
  p.memory.setA20(f.a20 !== false);
  p.devices.forEach((d, i) => d.loadState(deviceStates[i]));
  // The bus last: it re-announces every BAR to devices that have restored their own state.
  p.pciBus.loadState(pciBus);
  p.cpu.loadState(cpu);
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
