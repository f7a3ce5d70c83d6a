// Memory-map changes under the block compiler: compiled code is keyed by physical page and a map
// change drops only the blocks and TLB entries of the pages it remaps (src/emulator/cpu/jit/README.md).
// Code whose bytes change with the map — an A20 alias, shadow RAM against BIOS ROM under a PAM
// register, an MMIO window laid over RAM — must run its new bytes right after the change, also in
// the middle of a compiled block; code elsewhere keeps its compiled blocks.

import { describe, expect, it } from "vitest";
import { CPU, type CpuOptions } from "../../src/emulator/cpu/cpu.ts";
import { I440fxHost } from "../../src/emulator/devices/chipset/i440fx-host.ts";
import { makePlatform } from "../machine/helpers.ts";
import { assemble, enterFlat, type TestMachine } from "./harness.ts";

const MODES: { name: string; options: CpuOptions }[] = [
  { name: "interpreter", options: { jit: false } },
  { name: "jit threshold 1", options: { jit: true, jitThreshold: 1 } },
  { name: "jit threshold 3", options: { jit: true, jitThreshold: 3 } },
];

/** A CPU on a platform with the i440FX (its BIOS image given), A20 on port 0x92 bit 1, and port
 *  0xE0 laying `overlay` over physical 0x200000 (write 1) or taking it away (write 0). */
function platform(options: CpuOptions, bios: Uint8Array, overlay: Uint8Array): TestMachine {
  const p = makePlatform(4);
  const cpu = new CPU(p.memory, p.io, p.clock, options);
  new I440fxHost(p.ctx, { bios });
  p.io.register(0x92, 1, { out8: (_port, v) => p.memory.setA20((v & 2) !== 0) }, "a20 gate");
  const handler = { name: "overlay", read8: (a: number) => overlay[a - 0x200000]!, write8: () => {} };
  p.io.register(0xe0, 1, { out8: (_port, v) => (v ? p.memory.mapMmio(0x200000, 0x1000, handler) : p.memory.unmapMmio(0x200000, 0x1000)) }, "overlay");
  return { cpu, memory: p.memory, io: p.io, clock: p.clock, out: [] };
}

function run(m: TestMachine, code: Uint8Array): void {
  m.memory.writeBytes(0x10000, code);
  enterFlat(m, 0x10000);
  for (let i = 0; i < 1000 && !m.cpu.halted; i++) m.cpu.run(997);
  expect(m.cpu.halted, "the program reached its HLT").toBe(true);
}

const ROUNDS = 40;
/** PAM5 (config 0x5E) low nibble: 0xE0000-0xE3FFF. 0x33 = shadow RAM read/write, 0x30 = ROM. */
const setPam5 = (v: number) => `
  mov eax, 0x8000005c
  mov dx, 0xcf8
  out dx, eax
  mov dx, 0xcfe
  mov al, ${v}
  out dx, al`;

describe("block compiler and memory-map changes", () => {
  for (const mode of MODES) {
    it(`${mode.name}: code under an A20 alias, PAM shadowing and an MMIO overlay runs its new bytes after each change`, () => {
      // BIOS: its last 128 KiB appear at 0xE0000; there, `mov eax, 2; ret`.
      const bios = new Uint8Array(0x20000).fill(0x90);
      bios.set(assemble("mov eax, 2\nret", 32), 0);
      const overlay = new Uint8Array(0x1000).fill(0x90);
      overlay.set(assemble("mov eax, 30\nret", 32), 0);
      const m = platform(mode.options, bios, overlay);
      const code = assemble(
        `
  ; copies: A20 on/off twins at 0x104000 / 0x004000, shadow RAM code at 0xE0000, RAM code at 0x200000
  ${setPam5(0x33)}
  mov esi, twin_on
  mov edi, 0x104000
  mov ecx, twin_on_end - twin_on
  rep movsb
  mov esi, twin_off
  mov edi, 0x004000
  mov ecx, twin_off_end - twin_off
  rep movsb
  mov esi, shadow
  mov edi, 0xe0000
  mov ecx, shadow_end - shadow
  rep movsb
  mov esi, ram
  mov edi, 0x200000
  mov ecx, ram_end - ram
  rep movsb
  xor ebx, ebx
  xor ebp, ebp
  mov ecx, ${ROUNDS}
again:
  ; the A20 twin switches A20 off in its second instruction: what follows comes from 0x004000,
  ; which returns with A20 still off
  mov edx, 0x104000
  call edx
  mov al, 2
  out 0x92, al
  ; shadow RAM (1), then the ROM under the same address (2), then the RAM again (1)
  mov edx, 0xe0000
  call edx
  add ebp, eax
  ${setPam5(0x30)}
  mov edx, 0xe0000
  call edx
  add ebp, eax
  ${setPam5(0x33)}
  mov edx, 0xe0000
  call edx
  add ebp, eax
  ; RAM (20), the overlay laid over it (30), RAM again (20)
  mov edx, 0x200000
  call edx
  add ebp, eax
  mov al, 1
  out 0xe0, al
  call edx
  add ebp, eax
  mov al, 0
  out 0xe0, al
  call edx
  add ebp, eax
  dec ecx
  jnz again
  hlt
twin_on:
  mov al, 0
  out 0x92, al
  add ebx, 1000          ; only seen through a stale block: A20 is off by now
  ret
twin_on_end:
twin_off:
  mov al, 0
  out 0x92, al
  add ebx, 1
  ret
twin_off_end:
shadow:
  mov eax, 1
  ret
shadow_end:
ram:
  mov eax, 20
  ret
ram_end:
`,
        32,
        0x10000,
      );
      const flushesBefore = m.cpu.jit?.flushes ?? 0;
      run(m, code);
      expect(m.cpu.r32[3], "A20 alias: the twin below 1 MiB ran after A20 went off").toBe(ROUNDS);
      expect(m.cpu.r32[5], "PAM and overlay: each call ran the bytes mapped at the time").toBe(ROUNDS * (1 + 2 + 1 + 20 + 30 + 20));
      if (mode.options.jit) {
        const jit = m.cpu.jit!;
        expect(jit.compiled, "blocks were compiled").toBeGreaterThan(0);
        expect(jit.flushes - flushesBefore, "map changes flush nothing").toBe(0);
      }
    });
  }
});
