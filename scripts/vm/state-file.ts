// `npm run vm -- --load-state F / --save-state F`: snapshot files in the hypervisor's format
// (src/hypervisor/snapshot), so a VM exported from the dashboard resumes here and the other way round.

import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { Machine } from "../../src/emulator/machine-api.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";
import {
  captureMachine,
  decodeSnapshotFile,
  encodeSnapshotFile,
  MemoryChunkStore,
  readSnapshot,
  writeSnapshot,
  type MachineCapture,
  type SnapshotManifest,
  type VmDefinition,
} from "../../src/hypervisor/snapshot/index.ts";

export interface LoadedState {
  capture: MachineCapture;
  vm: VmDefinition;
  /** The manifest resumed (the parent of snapshots this run saves). */
  id: string;
  name: string;
}

/** The most recent snapshot of a file (a whole-VM export holds several), fully verified. */
export async function loadStateFile(path: string): Promise<LoadedState> {
  const { manifests, chunks } = await decodeSnapshotFile(new Uint8Array(readFileSync(path)));
  const latest = manifests.reduce((a, b) => (b.meta.takenAt > a.meta.takenAt ? b : a));
  const { capture, vm, meta } = await readSnapshot(latest, chunks);
  return { capture, vm, id: latest.id, name: meta.name };
}

/** A VM definition for a machine the runner built from options. */
export function runnerVm(config: MachineConfig, name: string): VmDefinition {
  return { name, memoryMiB: config.memoryMiB, share: 100, capPercent: 100, cardKinds: config.cards.map((c) => c.type), guestLabel: "npm run vm", guestId: null };
}

/** Copies the machine's state at the call (the guest may run on at once), then writes the file. */
export async function saveStateFile(path: string, machine: Machine, config: MachineConfig, vm: VmDefinition, parentId: string | null): Promise<{ bytes: number; manifest: SnapshotManifest }> {
  const capture = captureMachine(machine, config);
  const store = new MemoryChunkStore();
  const takenAt = Date.now();
  const meta = { name: `${basename(path)} ${new Date(takenAt).toISOString()}`, description: "saved by npm run vm", takenAt, kind: "snapshot" as const, parentId, thumbnailPng: null };
  const manifest = await writeSnapshot(capture, vm, meta, store);
  const file = await encodeSnapshotFile([manifest], store);
  // Whole or not at all: an interrupted write leaves the previous file.
  writeFileSync(`${path}.tmp`, file);
  renameSync(`${path}.tmp`, path);
  return { bytes: file.length, manifest };
}
