// Helpers for whole-machine tests: assemble the Multiboot test kernels with nasm, run a machine until
// a condition holds (skipping idle time so tests do not depend on host speed), collect serial output.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Machine } from "../../src/emulator/machine-api.ts";

const ASM_DIR = join(import.meta.dirname, "asm");
let outDir: string | null = null;

export function assemble(name: string): Uint8Array {
  outDir ??= mkdtempSync(join(tmpdir(), "hypertab-mb-"));
  const out = join(outDir, `${name}.bin`);
  execFileSync("nasm", ["-f", "bin", "-I", `${ASM_DIR}/`, join(ASM_DIR, `${name}.asm`), "-o", out]);
  return new Uint8Array(readFileSync(out));
}

export function collectSerial(m: Machine, index = 0): { text: () => string } {
  let s = "";
  m.serial[index].onTransmit((b) => (s += String.fromCharCode(b)));
  return { text: () => s };
}

/** Runs slices until `done()` or the machine stops; throws with context when `maxSlices` runs out. */
export function runUntil(m: Machine, done: () => boolean, opts: { maxSlices?: number; slice?: number; what?: string; tail?: () => string } = {}): void {
  const max = opts.maxSlices ?? 10_000;
  for (let i = 0; i < max; i++) {
    if (done()) return;
    if (m.state === "powered-off" || m.state === "crashed") {
      if (done()) return;
      throw new Error(`machine ${m.state} (${m.stopReason}) before ${opts.what ?? "the condition"}; output tail: ${JSON.stringify(opts.tail?.().slice(-800) ?? "")}`);
    }
    m.runSlice({ maxInstructions: opts.slice ?? 2_000_000, skipIdle: true });
  }
  if (!done()) throw new Error(`gave up waiting for ${opts.what ?? "the condition"} after ${max} slices; output tail: ${JSON.stringify(opts.tail?.().slice(-800) ?? "")}`);
}
