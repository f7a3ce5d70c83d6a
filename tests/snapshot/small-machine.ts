// A small real machine for the snapshot tests: the Multiboot "counter" kernel (tests/machine/asm),
// which prints a..z three times from a loop whose state lives in registers and RAM, then powers off;
// 4 MiB of RAM, COM1, PS/2 and VGA. Virtual time follows retired instructions, so two machines
// that run the same instructions are in the same state.

import { createHash } from "node:crypto";
import { createMachine, type MachineOptions, type PcMachineType } from "../../src/emulator/machine.ts";
import type { Machine } from "../../src/emulator/machine-api.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";
import { captureMachine, MemoryChunkStore, writeSnapshot, encodeSnapshotFile, type SnapshotMeta, type VmDefinition } from "../../src/hypervisor/snapshot/index.ts";
import { assemble, collectSerial, runUntil } from "../machine/run-helpers.ts";

let kernel: Uint8Array | null = null;

export function smallConfig(): MachineConfig {
  kernel ??= assemble("counter");
  return { memoryMiB: 4, boot: { kind: "multiboot", kernel, cmdline: "snapshot test" }, cards: [{ type: "serial", index: 0 }, { type: "ps2" }, { type: "vga" }] };
}

/** Machine options whose virtual clock follows the machine's own instruction count. */
export function deterministic(): { options: MachineOptions; bind: (m: PcMachineType) => void } {
  let count = (): number => 0;
  return { options: { wallClock: () => count() / 100_000, jit: false }, bind: (m) => void (count = () => m.cpu.instructionCount) };
}

export function createSmallMachine(config = smallConfig()): Machine & PcMachineType {
  const d = deterministic();
  const m = createMachine(config, d.options);
  d.bind(m);
  return m;
}

export const VM: VmDefinition = { name: "counter", memoryMiB: 4, share: 100, capPercent: 100, cardKinds: ["serial", "ps2", "vga"], guestLabel: "Multiboot counter", guestId: null };

export function meta(name: string, parentId: string | null = null): SnapshotMeta {
  return { name, description: `test snapshot ${name}`, takenAt: 1_765_000_000_000, kind: "snapshot", parentId, thumbnailPng: Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 1, 2, 3) };
}

/** Runs the counter machine until it has printed `letters` letters. */
export function runToLetters(m: Machine, serial: { text: () => string }, letters: number): void {
  runUntil(m, () => serial.text().length >= letters, { slice: 20_000, tail: serial.text });
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A real snapshot file of the counter machine stopped mid-run, and what it was made from. */
export async function realSnapshotFile(): Promise<{ file: Uint8Array; ramSha256: string; serialBefore: string }> {
  const m = createSmallMachine();
  const serial = collectSerial(m);
  runToLetters(m, serial, 20);
  const capture = captureMachine(m, smallConfig());
  const store = new MemoryChunkStore();
  const manifest = await writeSnapshot(capture, VM, meta("s1"), store);
  return { file: await encodeSnapshotFile([manifest], store), ramSha256: sha256(capture.state.fields.ram as Uint8Array), serialBefore: serial.text() };
}
