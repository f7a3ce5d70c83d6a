// A real machine through the whole format: capture, write, encode, decode, read, restore; then the
// original and the restored machine run on and must stay identical (registers, RAM, serial output).

import { describe, expect, it } from "vitest";
import type { SavedState } from "../../src/emulator/state.ts";
import {
  captureMachine,
  decodeSnapshotFile,
  encodeSnapshotFile,
  manifestChunks,
  MemoryChunkStore,
  readSnapshot,
  restoreMachine,
  writeSnapshot,
} from "../../src/hypervisor/snapshot/index.ts";
import { collectSerial, runUntil } from "../machine/run-helpers.ts";
import { createSmallMachine, deterministic, meta, runToLetters, sha256, smallConfig, VM } from "./small-machine.ts";

/** The state tree with every typed array replaced by its SHA-256 (small diffs when they differ).
 *  The RTC sets its periodic-interrupt flag (register C) lazily, when the guest reads it or its
 *  timer runs, so two equivalent machines may differ there until the guest looks: left out. */
function summary(s: SavedState): unknown {
  const walk = (v: unknown, path: string): unknown => {
    if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
      if (path === ".fields.devices.rtc-cmos.fields.nvram") bytes[0x0c] = 0;
      return `${v.constructor.name}(${v.byteLength}) ${sha256(bytes)}`;
    }
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    return Object.fromEntries(Object.entries(v).filter(([k]) => !(path === ".fields.devices.rtc-cmos.fields" && k === "lastFlagsNs")).map(([k, x]) => [k, walk(x, `${path}.${k}`)]));
  };
  return walk(s, "");
}

describe("snapshot round trip", () => {
  it("a restored machine continues exactly as the original does", async () => {
    const a = createSmallMachine();
    const outA = collectSerial(a);
    runToLetters(a, outA, 30);
    const capture = captureMachine(a, smallConfig());
    const progress: string[] = [];
    const store = new MemoryChunkStore();
    const manifest = await writeSnapshot(capture, VM, meta("mid-run"), store, (phase) => progress.push(phase));
    const file = await encodeSnapshotFile([manifest], store);
    const decoded = await decodeSnapshotFile(file);
    expect(decoded.manifests.map((m) => m.id)).toEqual([manifest.id]);
    const read = await readSnapshot(decoded.manifests[0], decoded.chunks);
    expect(read.vm).toEqual(VM);
    expect(read.meta).toEqual(meta("mid-run"));
    expect(sha256(read.capture.state.fields.ram as Uint8Array)).toBe(sha256(capture.state.fields.ram as Uint8Array));
    expect(progress).toContain("hashing and compressing");

    const d = deterministic();
    const b = restoreMachine(read.capture, d.options);
    d.bind(b);
    const outB = collectSerial(b);
    const printedBefore = outA.text();
    // Same instruction budget for both; then both run to the end.
    for (let i = 0; i < 50; i++) {
      a.runSlice({ maxInstructions: 10_000, skipIdle: true });
      b.runSlice({ maxInstructions: 10_000, skipIdle: true });
    }
    expect(b.cpu.instructionCount).toBe(a.cpu.instructionCount);
    const sa = a.saveState();
    const sb = b.saveState();
    expect(sha256(sb.fields.ram as Uint8Array)).toBe(sha256(sa.fields.ram as Uint8Array));
    expect(summary(sb)).toEqual(summary(sa));
    runUntil(a, () => a.state === "powered-off", { tail: outA.text });
    runUntil(b, () => b.state === "powered-off", { tail: outB.text });
    expect(printedBefore + outB.text()).toBe(outA.text());
    expect(outA.text()).toBe("abcdefghijklmnopqrstuvwxyz".repeat(3) + "\n");
    expect(manifestChunks(manifest).length).toBeGreaterThan(0);
  });

  it("successive snapshots and machines booted from the same kernel share chunks", async () => {
    const store = new MemoryChunkStore();
    const a = createSmallMachine();
    const out = collectSerial(a);
    runToLetters(a, out, 10);
    const capture = captureMachine(a, smallConfig());
    const captured = sha256(capture.state.fields.ram as Uint8Array);
    const capturedRegisters = JSON.stringify(capture.state.fields.cpu);
    runToLetters(a, out, 11);
    // A capture is a copy: the guest running on changes nothing in it.
    expect(sha256(capture.state.fields.ram as Uint8Array)).toBe(captured);
    expect(JSON.stringify(capture.state.fields.cpu)).toBe(capturedRegisters);
    const first = await writeSnapshot(capture, VM, meta("first"), store);
    const afterFirst = store.chunks.size;
    runToLetters(a, out, 12);
    const second = await writeSnapshot(captureMachine(a, smallConfig()), VM, meta("second", first.id), store);
    const added = store.chunks.size - afterFirst;
    const shared = second.chunks.filter((h) => first.chunks.includes(h)).length;
    expect(second.id).not.toBe(first.id);
    expect(second.meta.parentId).toBe(first.id);
    // The counter kernel writes a few words of RAM between the two: most chunks are unchanged.
    expect(shared).toBeGreaterThan(second.chunks.length / 2);
    expect(added).toBeLessThan(second.chunks.length - shared + 1);
    // Zero RAM is elided: 4 MiB of mostly empty RAM takes far fewer than 64 chunks.
    const ramChunks = (first.state as { fields: { ram: { chunks: (string | null)[] } } }).fields.ram.chunks;
    expect(ramChunks).toHaveLength(64);
    expect(ramChunks.filter((c) => c !== null).length).toBeLessThan(32);
  });
});
