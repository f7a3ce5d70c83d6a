// Runs one differential test program (a Multiboot kernel that prints state lines on port 0xE9 and
// exits through port 0xF4) in QEMU and in Hypertab, and compares the outputs line by line.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runMachine, type RunOutcome } from "../../scripts/vm/run-machine.ts";
import { createMachine, type MachineOptions } from "../../src/emulator/machine.ts";

export const diffDir = resolve(import.meta.dirname);
export const programsDir = join(diffDir, "programs");
export const buildDir = resolve(diffDir, "../../.cache/diff");
/** isa-debug-exit status of a program that reached its end: (0x10 << 1) | 1. */
export const EXIT_OK = 0x21;

export interface EngineRun {
  status: number | null;
  output: string;
  error: string | null;
}

export function assemble(name: string, source: string): string {
  mkdirSync(buildDir, { recursive: true });
  const asmPath = join(buildDir, `${name}.asm`);
  const binPath = join(buildDir, `${name}.bin`);
  writeFileSync(asmPath, source);
  const r = spawnSync("nasm", ["-f", "bin", "-I", `${diffDir}/`, "-o", binPath, asmPath], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`nasm failed for ${name}: ${r.stderr}`);
  return binPath;
}

/** The programs in `dir` (default: tests/diff/programs, the ones the suite compares; `findings`
 *  holds integer-core divergences and `qemu-divergent` cases where QEMU does not follow the SDM). */
export function listPrograms(dir = programsDir): { name: string; source: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".asm"))
    .sort()
    .map((f) => ({ name: f.replace(/\.asm$/, ""), source: readFileSync(join(dir, f), "utf8") }));
}

/** Every place the suite does not compare a bit QEMU prints, with the reason (printed in the
 *  coverage report; tests/diff/README.md has the same list). Each is either a field the SDM leaves
 *  undefined/reserved/model-specific, or one where QEMU 7.2 does not do what the SDM says. */
export const MASKS: { what: string; where: string; reason: string }[] = [
  { what: "arithmetic flags the SDM calls undefined", where: "random streams, DUMP masks in programs", reason: "SDM: undefined after the instruction (e.g. AF after logic ops, OF after multi-bit shifts, all after DIV)" },
  { what: "x87 FOP, FIP, FDP (FXSAVE/FNSTENV/FNSAVE images)", where: "DUMPFPU, x87-control", reason: "QEMU 7.2 stores zeros; the SDM records the last non-control x87 instruction (Hypertab does)" },
  { what: "x87 FSW.C0/C1/C3 after FPREM1 (quotient bits)", where: "random x87 streams, x87-specials (C2 compared)", reason: "QEMU 7.2 leaves them clear; the SDM sets them to Q2/Q0/Q1 (qemu-divergent/x87-fprem1.asm)" },
  { what: "x87 FSW.C0/C2/C3 after instructions that leave them undefined", where: "random x87 streams", reason: "SDM: undefined after loads, stores and arithmetic; compared after FCOM*/FUCOM*/FICOM/FTST/FXAM/FPREM" },
  { what: "x87 FSW.C1 as round-up indicator (FSW_NO_C1)", where: "x87 programs incl. x87-specials, random x87 streams (except after FPREM/FXAM), #MF handler", reason: "QEMU 7.2 never sets C1 on a rounded-up result; the SDM does" },
  { what: "x87 FSW.C0/C2/C3 after FSQRT etc. (FSW_NO_CC)", where: "x87-arith step 10", reason: "SDM: undefined after the arithmetic; QEMU sets C2 on FSQRT of a negative" },
  { what: "x87 FSW.DE (FSW_NO_DE)", where: "x87-control 0x35, 0x3a, 0x3b, random x87 streams", reason: "QEMU 7.2 never reports denormal operands" },
  { what: "x87 FSW.PE after FSIN/FPTAN (FSW_NO_PE)", where: "x87-transcendental 27, 28", reason: "QEMU 7.2 computes them in host double and never sets PE" },
  { what: "x87 register bits 79:64 after MMX writes (DUMPMMX)", where: "mmx, sse, sse2", reason: "SDM sets them to ones; QEMU 7.2 leaves them zero" },
  { what: "reserved upper halves of FNSTENV/FNSAVE control/status/tag words", where: "x87-control", reason: "SDM: reserved (hardware and Hypertab store ones, QEMU zeros)" },
  { what: "MXCSR.DE (MX_NO_DE)", where: "sse, sse2, sse-specials, random SSE streams", reason: "QEMU 7.2 never reports SSE denormal operands" },
  { what: "CPUID.1:EBX[23:16]", where: "system", reason: "SDM: only valid with HTT (EDX bit 28), which is clear" },
  { what: "CPUID.2 cache descriptors (compared as leaf 3 == leaf 2 instead)", where: "system", reason: "model-specific; QEMU's are fixed in QEMU" },
  { what: "CPUID.80000000:EBX/ECX/EDX, CPUID.80000001:EAX", where: "system", reason: "SDM: reserved on Intel" },
  { what: "descriptor accessed bits (preset in the GDT)", where: "sys.inc", reason: "QEMU 7.2 does not set the accessed bit when a far transfer loads CS; the SDM does" },
];

/** The reference CPU: QEMU's qemu32 model configured as the CPU Hypertab's CPUID describes
 *  (src/emulator/cpu/cpuid.ts: GenuineIntel family 6 model 13 stepping 6, basic leaves up to 2,
 *  extended up to 0x80000004, its brand string, leaf 1 EDX/ECX feature bits), so that CPUID and
 *  feature-gated instructions (CLFLUSH) are compared against the same model. */
export const QEMU_CPU =
  "qemu32,vendor=GenuineIntel,family=6,model=13,stepping=6,level=2,xlevel=0x80000004," +
  "model-id=Hypertab Virtual CPU (P6 family),+clflush,+mtrr,+pae,+nx,-pse36,-mce,-mca,-sse3,-hypervisor";

/** `kvm`: QEMU with -enable-kvm, so the host CPU executes the program (where /dev/kvm exists):
 *  the reference for what QEMU's TCG does not model, e.g. segment limits
 *  (qemu-divergent/seg-limits-faults.asm). */
export function runQemu(binPath: string, timeoutMs = 30_000, kvm = false): EngineRun {
  const out = `${binPath}.qemu.txt`;
  rmSync(out, { force: true });
  const r = spawnSync(
    "qemu-system-i386",
    [
      ...(kvm ? ["-enable-kvm"] : []),
      "-cpu", QEMU_CPU,
      "-kernel", binPath,
      "-m", "32",
      "-display", "none",
      "-monitor", "none",
      "-serial", "none",
      "-no-reboot",
      "-debugcon", `file:${out}`,
      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ],
    { encoding: "utf8", timeout: timeoutMs },
  );
  const output = existsSync(out) ? readFileSync(out, "latin1") : "";
  const error = r.error ? r.error.message : r.status === EXIT_OK ? null : `qemu exited with ${r.status}: ${r.stderr.trim()}`;
  return { status: r.status, output, error };
}

/** CPU modes the suite runs every program in: the default, and the block compiler forced on for
 *  every block (threshold 1) so compiled code really executes each instruction. */
export const CPU_MODES: { name: string; options: MachineOptions }[] = [
  { name: "default", options: {} },
  { name: "jit-forced", options: { jit: true, jitThreshold: 1 } },
];

export async function runHypertab(binPath: string, timeoutSeconds = 60, machineOptions: MachineOptions = {}): Promise<EngineRun> {
  const kernel = new Uint8Array(readFileSync(binPath));
  let output = "";
  let outcome: RunOutcome;
  try {
    outcome = await runMachine({
      config: {
        memoryMiB: 32,
        boot: { kind: "multiboot", kernel, cmdline: "" },
        cards: [{ type: "serial", index: 0 }, { type: "debugcon" }, { type: "debug-exit" }],
      },
      timeoutSeconds,
      createMachine: (config) => createMachine(config, machineOptions),
      onDebugcon: (b) => (output += String.fromCharCode(b)),
    });
  } catch (e) {
    return { status: null, output, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
  return { status: outcome.status, output, error: outcome.status === EXIT_OK ? null : outcome.message };
}

export interface Comparison {
  equal: boolean;
  lines: number;
  /** First differing line (1-based) with both versions, or null. */
  mismatch: { line: number; tag: string; expected: string; actual: string } | null;
}

export function compareOutputs(expected: string, actual: string): Comparison {
  const a = expected.split("\n");
  const b = actual.split("\n");
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      const tag = (a[i] ?? b[i] ?? "").split(" ")[0] ?? "";
      return { equal: false, lines: a.length - 1, mismatch: { line: i + 1, tag, expected: a[i] ?? "<end>", actual: b[i] ?? "<end>" } };
    }
  }
  return { equal: true, lines: a.length - 1, mismatch: null };
}

/** Names the fields that differ between two state lines ("eax", "fl", ...). */
export function differingFields(expected: string, actual: string): string[] {
  const fields = (line: string) => new Map(line.split(" ").slice(1).map((kv) => kv.split("=") as [string, string]));
  const e = fields(expected);
  const a = fields(actual);
  return [...e.keys()].filter((k) => e.get(k) !== a.get(k));
}

/** Mnemonics between `test_main:` and the end of a hand-written program (coverage report). */
export function mnemonicsOf(source: string): Set<string> {
  const out = new Set<string>();
  const body = source.split("test_main:")[1] ?? "";
  for (const raw of body.split("\n")) {
    const line = raw.replace(/;.*/, "").trim().replace(/^[.\w%]+:\s*/, "");
    if (!line || line.startsWith("%") || /^([A-Z][A-Z0-9_]*|times|db|dw|dd|dq|dt|align|bits|section)\b/.test(line)) continue;
    // the mnemonic with its prefixes ("a32 rep movsb", "lock cmpxchg8b")
    const words = line.split(/\s+/);
    let n = 1;
    while (n < words.length && /^(rep|repe|repz|repne|repnz|lock|o16|o32|a16|a32)$/.test(words[n - 1]!)) n++;
    if (words[0]) out.add(words.slice(0, n).join(" ").replace(/,$/, ""));
  }
  return out;
}
