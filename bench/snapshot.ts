// The snapshot measurement of one benchmark run (issue 10), on the Linux guest at its shell prompt:
// the guest's pause (capture), the time until the snapshot is stored (hashing, compression, into a
// MemoryChunkStore), restore to running (readSnapshot + restoreMachine + one slice), the stored
// size against guest RAM, and what a second snapshot 60 s of guest time later adds.

import type { Machine } from "../src/emulator/machine-api.ts";
import type { MachineConfig } from "../src/emulator/machine-config.ts";
import { median, spread } from "./medians.ts";
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

/** Snapshot figures (bench/snapshot.ts, v86's save_state()) of every run: medians, spread, lines. */
export function summarizeSnapshots(results: { snapshot: SnapshotFigures | null; v86SaveState: { ms: number; bytes: number } | null }[]) {
  const snaps = results.flatMap((r) => (r.snapshot ? [r.snapshot] : []));
  const v86 = results.flatMap((r) => (r.v86SaveState ? [r.v86SaveState] : []));
  const stat = (values: number[]) => ({ median: median(values), spread: spread(values) });
  const timed = ["pauseMs", "storedMs", "restoreMs", "storedBytes", "stateStoredBytes", "secondAddedBytes"] as const;
  const figures = {
    runs: snaps.length,
    ...(Object.fromEntries(timed.map((k) => [k, stat(snaps.map((s) => s[k]))])) as Record<(typeof timed)[number], ReturnType<typeof stat>>),
    ramBytes: snaps[0]?.ramBytes ?? null,
    restoredRamMatches: snaps.every((s) => s.restoredRamMatches),
    v86: { runs: v86.length, saveStateMs: stat(v86.map((s) => s.ms)), saveStateBytes: stat(v86.map((s) => s.bytes)) },
  };
  const ms = (s: { median: number | null; spread: [number, number] | null }) =>
    s.median === null ? "—" : `${s.median.toFixed(0)} ms [${s.spread![0].toFixed(0)}–${s.spread![1].toFixed(0)}]`;
  const mb = (s: { median: number | null; spread: [number, number] | null }) =>
    s.median === null ? "—" : `${(s.median / 2 ** 20).toFixed(1)} MiB [${(s.spread![0] / 2 ** 20).toFixed(1)}–${(s.spread![1] / 2 ** 20).toFixed(1)}]`;
  const ram = figures.ramBytes;
  const pct = (n: number | null) => (n === null || !ram ? "—" : `${((n / ram) * 100).toFixed(1)}%`);
  const lines = [
    `snapshot at the prompt, Hypertab (${snaps.length} runs; median [min–max]): pause ${ms(figures.pauseMs)} (target < 100), stored ${ms(figures.storedMs)} (target < 2000), restore to running ${ms(figures.restoreMs)} (target < 1000)`,
    `snapshot size: ${mb(figures.storedBytes)} stored in all (firmware, kernel, initrd included: shared by every snapshot of the VM), machine state ${mb(figures.stateStoredBytes)} = ${pct(figures.stateStoredBytes.median)} of ${ram ? ram / 2 ** 20 : "—"} MiB RAM (target ≤ 25%); a second snapshot 60 s of guest time later adds ${mb(figures.secondAddedBytes)}${figures.restoredRamMatches ? "" : "; RESTORED RAM DIFFERS"}`,
    `v86 save_state() of its guest at the prompt (${v86.length} runs): ${ms(figures.v86.saveStateMs)}, ${mb(figures.v86.saveStateBytes)} (the ArrayBuffer v86 returns)`,
  ];
  return { figures, lines };
}
