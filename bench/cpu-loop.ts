// CPU micro-benchmark: a tight 32-bit guest loop mixing ALU, memory, string and branch instructions,
// run in flat protected mode (optionally with paging on). Prints guest M instructions/s.
// Usage: npx tsx bench/cpu-loop.ts [seconds] [--paging] [--no-jit]

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PhysicalMemory } from "../src/emulator/memory.ts";
import { IOBus } from "../src/emulator/io-bus.ts";
import { VirtualClock } from "../src/emulator/clock.ts";
import { CPU } from "../src/emulator/cpu/cpu.ts";

const seconds = Number(process.argv.find((a) => /^\d+(\.\d+)?$/.test(a)) ?? 3);
const paging = process.argv.includes("--paging");
const jit = !process.argv.includes("--no-jit");

const SOURCE = `
bits 32
org 0x10000
start:
  %if PAGING
  ; identity-map 0-4 MiB with 4 KiB pages: directory at 0x200000, table at 0x201000
  mov edi, 0x201000
  mov eax, 0x3
  mov ecx, 1024
.fill: stosd
  add eax, 0x1000
  loop .fill
  mov dword [0x200000], 0x201003
  mov eax, 0x200000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  %endif
outer:
  mov ecx, 1000
  mov esi, 0x100000
  xor eax, eax
inner:
  add eax, ecx            ; ALU
  xor edx, eax
  mov ebx, [esi]          ; load
  add ebx, eax
  mov [esi+4], ebx        ; store
  lea esi, [esi+8]
  and esi, 0x10ffff
  shl edx, 3
  sub edx, ebx
  cmp eax, edx
  jb .skip                ; data-dependent branch
  inc edi
.skip:
  dec ecx
  jnz inner
  ; string block
  mov esi, 0x100000
  mov edi, 0x180000
  mov ecx, 64
  rep movsd
  push eax
  call func
  pop eax
  jmp outer
func:
  imul eax, eax, 7
  ret
`;

function assemble(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "bench-"));
  try {
    writeFileSync(join(dir, "b.asm"), `%define PAGING ${paging ? 1 : 0}\n${SOURCE}`);
    execFileSync("nasm", ["-f", "bin", "-o", join(dir, "b.bin"), join(dir, "b.asm")]);
    return new Uint8Array(readFileSync(join(dir, "b.bin")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const memory = new PhysicalMemory(4 << 20, { shared: false });
const cpu = new CPU(memory, new IOBus(), new VirtualClock(), { jit });
memory.writeBytes(0x10000, assemble());
cpu.enterFlatProtectedMode(0x10000, { esp: 0x90000 });

// Warm up, then measure.
cpu.run(5_000_000);
// CPU time as well as wall time: the machine may be shared, and CPU time shows what one core does.
const t0 = performance.now();
const u0 = process.cpuUsage();
let n = 0;
while (performance.now() - t0 < seconds * 1000) n += cpu.run(1_000_000);
const dt = (performance.now() - t0) / 1000;
const u = process.cpuUsage(u0);
const cpuSeconds = (u.user + u.system) / 1e6;
console.log(
  `cpu-loop${paging ? " (paging)" : ""}${jit ? "" : " (interpreter)"}: ${(n / cpuSeconds / 1e6).toFixed(1)} M guest instructions per CPU-second ` +
    `(${(n / dt / 1e6).toFixed(1)} M/s wall; ${n} instructions, ${cpuSeconds.toFixed(2)} s CPU, ${dt.toFixed(2)} s wall)`,
);
