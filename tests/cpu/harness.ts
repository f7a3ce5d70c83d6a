// Test harness: assembles snippets with nasm and runs them on a CPU with plain RAM and an I/O bus.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PhysicalMemory } from "../../src/emulator/memory.ts";
import { IOBus } from "../../src/emulator/io-bus.ts";
import { VirtualClock } from "../../src/emulator/clock.ts";
import { CPU, CS, DS, ES, SS, type CpuOptions } from "../../src/emulator/cpu/cpu.ts";

export function assemble(source: string, bits: 16 | 32 = 16, org = 0): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "cpu-test-"));
  try {
    const src = join(dir, "t.asm");
    const out = join(dir, "t.bin");
    writeFileSync(src, `bits ${bits}\norg ${org}\n${source}\n`);
    execFileSync("nasm", ["-f", "bin", "-o", out, src], { stdio: ["ignore", "ignore", "pipe"] });
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TestMachine {
  cpu: CPU;
  memory: PhysicalMemory;
  io: IOBus;
  clock: VirtualClock;
  /** Bytes written to port 0xE9. */
  out: number[];
}

/** HYPERTAB_JIT=0 runs the pure interpreter; HYPERTAB_JIT_THRESHOLD=1 compiles every block. */
export const ENV_CPU_OPTIONS: CpuOptions = {
  jit: process.env.HYPERTAB_JIT !== "0",
  jitThreshold: Number(process.env.HYPERTAB_JIT_THRESHOLD) || undefined,
};

/** A CPU with `ramMiB` of RAM and a debug console on port 0xE9, nothing else. */
export function makeMachine(ramMiB = 4, options: CpuOptions = ENV_CPU_OPTIONS): TestMachine {
  const memory = new PhysicalMemory(ramMiB << 20, { shared: false });
  const io = new IOBus();
  const clock = new VirtualClock(() => 0);
  const cpu = new CPU(memory, io, clock, options);
  const out: number[] = [];
  io.register(0xe9, 1, { out8: (_p, v) => out.push(v) }, "debugcon");
  return { cpu, memory, io, clock, out };
}

/** Runs `run` (a direct call into the CPU's walk or a handler): the exception it raised as vector
 *  and error code, or null when it raised none. Anything that is not a CPU fault is rethrown. */
export function faultOf(run: () => void): { vector: number; errorCode: number } | null {
  try {
    run();
    return null;
  } catch (e) {
    const f = e as { vector: number; errorCode: number };
    if (typeof f.vector !== "number") throw e;
    return { vector: f.vector, errorCode: f.errorCode };
  }
}

/** Real-mode code that enters flat 32-bit protected mode: loads `gdtr` (which the snippet defines,
 *  with code at selector 0x08 and data at 0x10) and continues in 32-bit code at `pm32` with
 *  interrupts off, DS = ES = SS = 0x10 and ESP = 0x90000. */
export const ENTER_FLAT_PM32 = `
      cli
      lgdt [gdtr]
      mov eax, cr0
      or al, 1
      mov cr0, eax
      jmp 0x08:pm32
bits 32
pm32:
      mov ax, 0x10
      mov ds, ax
      mov es, ax
      mov ss, ax
      mov esp, 0x90000
`;

/** 32-bit routine `set_gate`: IDT entry eax of an IDT at 0x7000 becomes a gate to offset ebx,
 *  selector cx, type and attributes dl (e.g. 0x8E ring-0 interrupt gate, 0xEE one ring 3 may call).
 *  Clobbers ebx and edi. */
export const SET_GATE_ROUTINE = `
set_gate:
      lea edi, [0x7000 + eax*8]
      mov [edi], bx
      mov [edi+2], cx
      mov byte [edi+4], 0
      mov [edi+5], dl
      shr ebx, 16
      mov [edi+6], bx
      ret
`;

/** 32-bit code that turns paging on with 4 MiB pages allowed (CR4.PSE) and the page directory at
 *  `directory`; with `writeProtect`, ring 0 also honours read-only pages (CR0.WP). Clobbers eax. */
export function pagingOnWithPse(directory: number, { writeProtect = false } = {}): string {
  const cr0Bits = writeProtect ? "0x80010000                         ; PG | WP" : "0x80000000                         ; PG";
  return `
      mov eax, cr4
      or eax, 0x10                               ; PSE
      mov cr4, eax
      mov eax, 0x${directory.toString(16)}
      mov cr3, eax
      mov eax, cr0
      or eax, ${cr0Bits}
      mov cr0, eax
`;
}

/** Loads 16-bit code at 0000:0x1000 (real mode, stack at 0x8000) and runs it until HLT. */
export function runReal(source: string, setup?: (m: TestMachine) => void, maxInstructions = 1_000_000, ramMiB = 4): TestMachine {
  const m = makeMachine(ramMiB);
  const code = assemble(source, 16, 0x1000);
  m.memory.writeBytes(0x1000, code);
  const c = m.cpu;
  c.loadSegmentReal(CS, 0);
  c.loadSegmentReal(DS, 0);
  c.loadSegmentReal(ES, 0);
  c.loadSegmentReal(SS, 0);
  c.eip = 0x1000;
  c.r32[4] = 0x8000;
  if (setup) setup(m);
  runUntilHalt(m, maxInstructions);
  return m;
}

/** Loads 32-bit code at 0x10000 in flat protected mode (stack at 0x90000) and runs it until HLT. */
/** nasm prelude for flat 32-bit tests: SET_GATE vector, handler (interrupt gate, DPL 0; clobbers EAX). */
export const FLAT_PRELUDE = `
%macro SET_GATE 2
  mov eax, %2
  mov word [0x7000 + (%1)*8], ax
  mov word [0x7000 + (%1)*8 + 2], 0x10
  mov word [0x7000 + (%1)*8 + 4], 0x8e00
  shr eax, 16
  mov word [0x7000 + (%1)*8 + 6], ax
%endmacro
`;

/** Flat protected mode with a real GDT (0x10 code, 0x18 data at 0x600) and an empty IDT at 0x7000. */
export function enterFlat(m: TestMachine, entry: number): void {
  const gdt = new Uint8Array(32);
  const view = new DataView(gdt.buffer);
  view.setUint32(16, 0x0000ffff, true);
  view.setUint32(20, 0x00cf9a00, true);
  view.setUint32(24, 0x0000ffff, true);
  view.setUint32(28, 0x00cf9200, true);
  m.memory.writeBytes(0x600, gdt);
  m.cpu.enterFlatProtectedMode(entry, { esp: 0x90000 });
  m.cpu.gdtBase = 0x600;
  m.cpu.gdtLimit = 31;
  m.cpu.idtBase = 0x7000;
  m.cpu.idtLimit = 0x7ff;
}

export function runFlat32(source: string, setup?: (m: TestMachine) => void, maxInstructions = 1_000_000, ramMiB = 4): TestMachine {
  const m = makeMachine(ramMiB);
  const code = assemble(FLAT_PRELUDE + source, 32, 0x10000);
  m.memory.writeBytes(0x10000, code);
  enterFlat(m, 0x10000);
  if (setup) setup(m);
  runUntilHalt(m, maxInstructions);
  return m;
}

export function runUntilHalt(m: TestMachine, maxInstructions: number): void {
  let total = 0;
  while (!m.cpu.halted && total < maxInstructions) {
    const n = m.cpu.run(Math.min(100_000, maxInstructions - total));
    total += n;
    if (n === 0) break;
  }
  if (!m.cpu.halted) throw new Error(`did not halt within ${maxInstructions} instructions (eip=0x${m.cpu.eip.toString(16)})`);
}

export function text(m: TestMachine): string {
  return String.fromCharCode(...m.out);
}
