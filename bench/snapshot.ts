// The snapshot measurement of one benchmark run (issue 10), on the Linux guest at its shell prompt:
// the guest's pause (capture), the time until the snapshot is stored (hashing, compression, into a
// MemoryChunkStore), restore to running (readSnapshot + restoreMachine + one slice), the stored
// size against guest RAM, and what a second snapshot 60 s of guest time later adds.

import type { Machine } from "../src/emulator/machine-api.ts";
import type { MachineConfig } from "../src/emulator/machine-config.ts";
import { captureMachine, MemoryChunkStore, readSnapshot, restoreMachine, writeSnapshot, type SnapshotManifest } from "../src/hypervisor/snapshot/index.ts";

export interface SnapshotFigures {
  pauseMs: number;
  storedMs: number;
  restoreMs: number;
  /** Guest RAM, and what the first snapshot stores: all of it (firmware, kernel, initrd included)
   *  and the part of the machine state (RAM, devices) alone. */
  ramBytes: number;
  storedBytes: number;
  stateStoredBytes: number;
  /** New chunks of a second snapshot taken 60 s of guest time later. */
  secondAddedBytes: number;
  /** The same machine's state chunks, restored, match the original's RAM. */
  restoredRamMatches: boolean;
}

const GUEST_SECONDS_BETWEEN = 60;

const VM = { name: "bench linux", memoryMiB: 128, share: 100, capPercent: 100, cardKinds: ["serial", "vga", "ps2", "debug-exit"], guestLabel: "Linux", guestId: "linux" };
const meta = (name: string, parentId: string | null) => ({ name, description: "", takenAt: Date.now(), kind: "snapshot" as const, parentId, thumbnailPng: null });

/** Stored bytes of the chunks the manifest's state tree references. */
function stateChunkBytes(manifest: SnapshotManifest, store: MemoryChunkStore): number {
  const hashes = new Set<string>();
  JSON.stringify(manifest.state, (k, v: unknown) => {
    if (k === "chunks" && Array.isArray(v)) for (const h of v) if (typeof h === "string") hashes.add(h);
    return v;
  });
  let n = 0;
  for (const h of hashes) n += store.chunks.get(h)!.length;
  return n;
}

export async function measureSnapshot(machine: Machine, config: MachineConfig): Promise<SnapshotFigures> {
  const vm = { ...VM, memoryMiB: config.memoryMiB };
  let t = performance.now();
  const capture = captureMachine(machine, config);
  const pauseMs = performance.now() - t;

  const store = new MemoryChunkStore();
  t = performance.now();
  const first = await writeSnapshot(capture, vm, meta("first", null), store);
  const storedMs = performance.now() - t;
  const storedBytes = store.storedBytes;

  t = performance.now();
  const read = await readSnapshot(first, store);
  const restored = restoreMachine(read.capture);
  restored.runSlice({ maxInstructions: 1000 });
  const restoreMs = performance.now() - t;
  const ram = capture.state.fields.ram as Uint8Array;
  const back = read.capture.state.fields.ram as Uint8Array;
  const restoredRamMatches = back.length === ram.length && Buffer.compare(back, ram) === 0;

  // The guest idles at its prompt: 60 s of its time pass quickly with idle time skipped.
  const until = machine.stats().uptimeNs + GUEST_SECONDS_BETWEEN * 1e9;
  while (machine.stats().uptimeNs < until && machine.state !== "powered-off" && machine.state !== "crashed") {
    machine.runSlice({ maxInstructions: 5_000_000, skipIdle: true });
  }
  await writeSnapshot(captureMachine(machine, config), vm, meta("second", first.id), store);
  const secondAddedBytes = store.storedBytes - storedBytes;
  return { pauseMs, storedMs, restoreMs, ramBytes: ram.length, storedBytes, stateStoredBytes: stateChunkBytes(first, store), secondAddedBytes, restoredRamMatches };
}
