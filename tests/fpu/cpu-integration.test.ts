// The x87 and SIMD units driven by the real integer core: nasm-assembled 32-bit code exercising the
// decoder contract (ModRM/SIB memory operands, imm8 after ModRM, mandatory prefixes, FNSTSW AX,
// FCOMI flags, CPUID feature bits) with results checked in memory.

import { describe, expect, it } from "vitest";
import { runFlat32 } from "../cpu/harness.ts";

function f64At(m: { memory: { ram: Uint8Array } }, addr: number): number {
  return new Float64Array(m.memory.ram.slice(addr, addr + 8).buffer)[0];
}
function f32At(m: { memory: { ram: Uint8Array } }, addr: number, i = 0): number {
  return new Float32Array(m.memory.ram.slice(addr, addr + 16).buffer)[i];
}
function u32At(m: { memory: { ram: Uint8Array } }, addr: number): number {
  const r = m.memory.ram;
  return (r[addr] | (r[addr + 1] << 8) | (r[addr + 2] << 16) | (r[addr + 3] << 24)) >>> 0;
}

describe("x87/SSE units through the CPU core", () => {
  it("runs x87 arithmetic, compares and integer conversion from assembled code", () => {
    const m = runFlat32(`
      finit
      fld dword [a]
      fadd qword [b]          ; 1.5 + 2.25
      fstp qword [r0]
      fild dword [i]
      fsqrt                   ; sqrt(2)
      fld1
      fcomip st0, st1         ; 1 < sqrt(2): CF=1
      setc byte [r1]
      fmul st0, st0
      fistp dword [r2]        ; round(2.0000...) = 2
      fldpi
      fstsw ax
      mov [r3], ax
      fstp qword [r4+ebx*4]   ; SIB addressing
      hlt
      align 8
      a: dd 1.5
      b: dq 2.25
      i: dd 2
      r0: dq 0
      r1: dd 0
      r2: dd 0
      r3: dd 0
      r4: dq 0, 0
    `, (mm) => {
      mm.cpu.r32[3] = 2; // EBX
    });
    const find = (needle: number[]): number => {
      outer: for (let p = 0x10000; p < 0x10200; p++) {
        for (let k = 0; k < needle.length; k++) if (m.memory.ram[p + k] !== needle[k]) continue outer;
        return p;
      }
      throw new Error("label not found");
    };
    const a = find([0x00, 0x00, 0xc0, 0x3f]); // 1.5f
    const r0 = a + 4 + 8 + 4;
    expect(f64At(m, r0)).toBe(3.75);
    expect(m.memory.ram[r0 + 8]).toBe(1);
    expect(u32At(m, r0 + 12)).toBe(2);
    expect(u32At(m, r0 + 16) & 0x3800).toBe(7 << 11); // TOP after FLDPI
    expect(f64At(m, r0 + 20 + 8)).toBe(Math.PI);
  });

  it("runs SSE/SSE2 and MMX code with imm8 operands and mandatory prefixes", () => {
    const m = runFlat32(`
      mov eax, cr4
      or eax, 0x600           ; OSFXSR | OSXMMEXCPT
      mov cr4, eax
      movups xmm0, [v]
      addps xmm0, xmm0
      pshufd xmm1, xmm0, 0x1b
      movups [r0], xmm1
      mov eax, 7
      cvtsi2sd xmm2, eax
      sqrtsd xmm2, xmm2
      movsd [r1], xmm2
      movq mm0, [q]
      paddw mm0, mm0
      psllq mm0, 4
      movq [r2], mm0
      movdqu xmm3, [v]
      psrldq xmm3, 4
      movdqu [r3], xmm3
      stmxcsr [r4]
      hlt
      align 16
      v: dd 1.0, 2.0, 3.0, 4.0
      q: dw 1, 2, 3, 0x7fff
      r0: dd 0, 0, 0, 0
      r1: dq 0
      r2: dq 0
      r3: dd 0, 0, 0, 0
      r4: dd 0
    `);
    const find = (needle: number[]): number => {
      outer: for (let p = 0x10000; p < 0x10400; p++) {
        for (let k = 0; k < needle.length; k++) if (m.memory.ram[p + k] !== needle[k]) continue outer;
        return p;
      }
      throw new Error("label not found");
    };
    const v = find([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    const r0 = v + 16 + 8;
    expect([0, 1, 2, 3].map((i) => f32At(m, r0, i))).toEqual([8, 6, 4, 2]);
    expect(f64At(m, r0 + 16)).toBe(Math.sqrt(7));
    const r2 = r0 + 24;
    const words = new Uint16Array(m.memory.ram.slice(r2, r2 + 8).buffer);
    expect([...words]).toEqual([0x20, 0x40, 0x60, 0xffe0]); // doubled (0x7fff wraps to 0xfffe), then the qword shifted left 4
    const r3 = r2 + 8;
    expect([0, 1, 2, 3].map((i) => f32At(m, r3, i))).toEqual([2, 3, 4, 0]);
    expect(u32At(m, r3 + 16)).toBe(0x1fa0); // PE from sqrt(7)
  });
});
