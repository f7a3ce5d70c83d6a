// The short pause and the way back: a capture is a copy of a machine's config and saved state that
// the guest may run on from right after; restoring builds a fresh machine from the capture's config
// and loads the state into it, which checks the whole tree before it assigns anything.

import type { Machine } from "../../emulator/machine-api.ts";
import type { MachineConfig } from "../../emulator/machine-config.ts";
import { createMachine, type MachineOptions, type PcMachineType } from "../../emulator/machine.ts";
import type { SavedState } from "../../emulator/state.ts";
import { SnapshotFormatError } from "./errors.ts";

/** What the short pause produces: copies only (the guest may run again right after). */
export interface MachineCapture {
  config: MachineConfig;
  state: SavedState;
}

/** A copy of `v` in which every typed array is a fresh copy (saveState may return views of live
 *  memory, e.g. a device's buffer). */
function copyTree<T>(v: T): T {
  if (v === null || typeof v !== "object") return v;
  if (ArrayBuffer.isView(v)) return (v as unknown as Uint8Array).slice() as T;
  if (Array.isArray(v)) return v.map(copyTree) as T;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = copyTree(x);
  return out as T;
}

/** Copies the config's structure; its images (firmware, kernel, disks) are shared, not copied:
 *  the machine never writes them (disks write in place only when built to, which the hypervisor
 *  does not; otherwise copy-on-write overlays hold the writes, and they are state). */
function copyConfig(config: MachineConfig): MachineConfig {
  return {
    ...config,
    boot: { ...config.boot, ...(config.boot.kind === "firmware" ? { order: [...config.boot.order] } : {}) } as MachineConfig["boot"],
    cards: config.cards.map((c) => ({ ...c })),
  };
}

/** The short pause: copies only, so the guest may run again right after. */
export function captureMachine(machine: Machine, config: MachineConfig): MachineCapture {
  const state = machine.saveState();
  // RAM, the one big array, is copied once: the machine declares it a typed state field, which
  // StateLayout saves as a fresh copy (state.ts). Copied again only if it were a live shared view.
  const fields = Object.fromEntries(
    Object.entries(state.fields).map(([k, v]) => [k, k === "ram" && v instanceof Uint8Array && !(v.buffer instanceof SharedArrayBuffer) ? v : copyTree(v)]),
  );
  return { config: copyConfig(config), state: { ...state, fields } };
}

/** Builds a machine from capture.config and loads the state into it, refusing (StateError or
 *  SnapshotFormatError) before the machine runs; returns the machine ready to run. `options` are
 *  the host's (wall clock, JIT), not part of the snapshot. */
export function restoreMachine(capture: MachineCapture, options?: MachineOptions): Machine & PcMachineType {
  let machine: Machine & PcMachineType;
  try {
    machine = createMachine(capture.config, options);
  } catch (e) {
    const err = e as Error;
    throw new SnapshotFormatError(`the snapshot's machine cannot be built: ${err.name}: ${err.message}`);
  }
  machine.loadState(capture.state);
  return machine;
}
