// MMX/SSE/SSE2 behaviour from the Intel SDM: mode checks, SIMD exceptions, alignment, MXCSR,
// FXSAVE layout, MMX/x87 aliasing, memory forms and state save/restore.

import { describe, expect, it } from "vitest";
import { createX87 } from "../../src/emulator/cpu/fpu/index.ts";
import { createSimd } from "../../src/emulator/cpu/simd/index.ts";
import { FakeHost, fault } from "../fpu/fake-host.ts";

function setup() {
  const h = new FakeHost();
  const x87 = createX87(h);
  x87.execute(0xdb, 0xe3, -1); // FNINIT
  const simd = createSimd(h, x87);
  const x = simd.xmm.u32;
  const mm = new Uint32Array(x87.mmBuffer);
  return { h, x87, simd, x, mm };
}

const f32 = (v: number): number => new Uint32Array(new Float32Array([v]).buffer)[0];

describe("SIMD mode checks and exceptions", () => {
  it("SSE needs CR4.OSFXSR and CR0.EM=0 (#UD) and CR0.TS=0 (#NM); MMX works without OSFXSR", () => {
    const { h, simd } = setup();
    h.cr4 = 0;
    expect(fault(() => simd.execute(0x58, 0, 0xc1, -1))).toBe(6);
    expect(fault(() => simd.execute(0xfc, 0, 0xc1, -1))).toBe(-1); // PADDB mm0, mm1
    h.cr4 = 0x600;
    h.cr0 |= 0x8;
    expect(fault(() => simd.execute(0x58, 0, 0xc1, -1))).toBe(7);
    expect(fault(() => simd.execute(0xfc, 0, 0xc1, -1))).toBe(7);
    h.cr0 = (h.cr0 & ~0x8) | 0x4;
    expect(fault(() => simd.execute(0x58, 0, 0xc1, -1))).toBe(6);
    expect(fault(() => simd.execute(0xfc, 0, 0xc1, -1))).toBe(6);
  });

  it("an unmasked SIMD exception raises #XM (CR4.OSXMMEXCPT) or #UD, sets the flag and leaves the destination", () => {
    const { h, simd, x } = setup();
    simd.mxcsr = 0x1f80 & ~0x200; // ZE unmasked
    x[0] = f32(1);
    x[4] = 0;
    expect(fault(() => simd.execute(0x5e, 0xf3, 0xc1, -1))).toBe(19); // DIVSS xmm0, xmm1
    expect(simd.mxcsr & 0x3f).toBe(0x4);
    expect(x[0]).toBe(f32(1));
    h.cr4 = 0x200;
    expect(fault(() => simd.execute(0x5e, 0xf3, 0xc1, -1))).toBe(6);
    simd.mxcsr = 0x1f80; // masked: +inf
    simd.execute(0x5e, 0xf3, 0xc1, -1);
    expect(x[0]).toBe(0x7f800000);
  });

  it("aligned forms #GP(0) on a misaligned operand, unaligned forms do not", () => {
    const { h, simd, x } = setup();
    for (let i = 0; i < 16; i++) h.mem[0x108 + i] = i + 1;
    expect(fault(() => simd.execute(0x28, 0, 0x00, 0x108))).toBe(13); // MOVAPS
    expect(fault(() => simd.execute(0x6f, 0x66, 0x00, 0x108))).toBe(13); // MOVDQA
    expect(fault(() => simd.execute(0x58, 0, 0x00, 0x108))).toBe(13); // ADDPS m128
    simd.execute(0x10, 0, 0x00, 0x108); // MOVUPS
    expect(x[0]).toBe(0x04030201);
    expect(x[3]).toBe(0x100f0e0d);
  });

  it("LDMXCSR rejects reserved bits with #GP(0); STMXCSR stores MXCSR", () => {
    const { h, simd } = setup();
    h.writeLinear32(0x100, 0x10000);
    expect(fault(() => simd.execute(0xae, 0, 0x10, 0x100))).toBe(13);
    h.writeLinear32(0x100, 0x9fc0); // FTZ, DAZ, RC=00, masks
    simd.execute(0xae, 0, 0x10, 0x100);
    simd.execute(0xae, 0, 0x18, 0x104);
    expect(h.readLinear32(0x104)).toBe(0x9fc0);
  });

  it("FTZ flushes tiny results to zero with UE|PE; DAZ treats denormal inputs as zero", () => {
    const { simd, x } = setup();
    simd.mxcsr = 0x1f80 | 0x8000;
    x[0] = f32(1e-30);
    x[4] = f32(1e-10);
    simd.execute(0x59, 0xf3, 0xc1, -1); // MULSS → 1e-40 (denormal) → 0
    expect(x[0]).toBe(0);
    expect(simd.mxcsr & 0x3f).toBe(0x30);
    simd.mxcsr = 0x1f80 | 0x40;
    x[0] = 1; // smallest denormal
    x[4] = f32(2);
    simd.execute(0x59, 0xf3, 0xc1, -1);
    expect(x[0]).toBe(0);
    expect(simd.mxcsr & 0x3f).toBe(0);
  });
});

describe("FXSAVE/FXRSTOR", () => {
  it("stores the 512-byte layout and restores it", () => {
    const { h, x87, simd, x } = setup();
    x87.execute(0xd9, 0xe8, -1); // FLD1
    x87.execute(0xd9, 0xeb, -1); // FLDPI
    simd.mxcsr = 0x1fa0;
    for (let i = 0; i < 32; i++) x[i] = (0x11111111 * (i & 7) + i) >>> 0;
    expect(fault(() => simd.execute(0xae, 0, 0x00, 0x208))).toBe(13);
    simd.execute(0xae, 0, 0x00, 0x200); // FXSAVE
    expect(h.readLinear16(0x200)).toBe(0x037f);
    expect(h.readLinear16(0x202)).toBe(6 << 11);
    expect(h.readLinear8(0x204)).toBe(0xc0); // physical registers 6 and 7 in use
    expect(h.readLinear32(0x218)).toBe(0x1fa0);
    expect(h.readLinear32(0x21c)).toBe(0xffff);
    expect(h.read80(0x220)).toEqual([0x4000, 0xc90fdaa22168c235n]); // ST0
    expect(h.read80(0x230)).toEqual([0x3fff, 0x8000000000000000n]); // ST1
    expect(h.readLinear32(0x2a0)).toBe(x[0]);
    expect(h.readLinear32(0x31c)).toBe(x[31]);
    const saved = h.mem.slice(0x200, 0x400);
    x87.execute(0xdb, 0xe3, -1);
    simd.reset();
    simd.execute(0xae, 0, 0x08, 0x200); // FXRSTOR
    simd.execute(0xae, 0, 0x00, 0x400);
    expect(h.mem.slice(0x400, 0x400 + 0x1a0)).toEqual(saved.slice(0, 0x1a0));
    h.writeLinear32(0x218, 0x12340000);
    expect(fault(() => simd.execute(0xae, 0, 0x08, 0x200))).toBe(13);
  });
});

describe("MMX", () => {
  it("MMX registers alias the x87 significands, set the exponent to all ones, TOP=0 and tags valid; EMMS empties", () => {
    const { h, x87, simd } = setup();
    x87.execute(0xd9, 0xe8, -1); // FLD1: TOP = 7
    h.regs[0] = 0x12345678;
    simd.execute(0x6e, 0, 0xc0, -1); // MOVD mm0, eax
    expect(x87.top).toBe(0);
    expect(x87.tagWord()).not.toBe(0xffff);
    x87.execute(0xdb, 0x38, 0x300); // FSTP m80 of ST0 = register 0 = mm0
    expect(h.read80(0x300)).toEqual([0xffff, 0x12345678n]);
    simd.execute(0x77, 0, 0, -1); // EMMS
    expect(x87.tagWord()).toBe(0xffff);
  });

  it("a pending x87 exception makes an MMX instruction fault #MF", () => {
    const { h, x87, simd } = setup();
    h.writeLinear16(0x100, 0x037e);
    x87.execute(0xd9, 0x28, 0x100); // IE unmasked
    x87.execute(0xd9, 0xc1, -1); // underflow → pending
    expect(fault(() => simd.execute(0xfc, 0, 0xc1, -1))).toBe(16);
  });

  it("PSHUFW, PINSRW/PEXTRW, PMOVMSKB, MASKMOVQ, MOVQ2DQ/MOVDQ2Q", () => {
    const { h, simd, mm, x } = setup();
    mm[2] = 0x00020001;
    mm[3] = 0x80048003;
    h.imm.push(0x1b);
    simd.execute(0x70, 0, 0xc1, -1); // PSHUFW mm0, mm1, 0x1b (reverse words)
    expect([mm[0], mm[1]]).toEqual([0x80038004, 0x00010002]);
    h.regs[3] = 0xbeef;
    h.imm.push(2);
    simd.execute(0xc4, 0, 0xc3, -1); // PINSRW mm0, ebx, 2
    expect(mm[1] & 0xffff).toBe(0xbeef);
    h.imm.push(3);
    simd.execute(0xc5, 0, 0xd0, -1); // PEXTRW edx, mm0, 3
    expect(h.regs[2]).toBe(0x0001);
    simd.execute(0xd7, 0, 0xc1, -1); // PMOVMSKB eax, mm1
    expect(h.regs[0]).toBe(0xa0); // bytes 5 and 7 have bit 7 set
    h.regs[7] = 0x500;
    h.mem.fill(0xaa, 0x500, 0x508);
    simd.execute(0xf7, 0, 0xc1, -1); // MASKMOVQ mm0, mm1: bytes 5 and 7 selected
    expect([...h.mem.slice(0x500, 0x508)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xbe, 0xaa, 0x00]);
    simd.execute(0xd6, 0xf3, 0xd1, -1); // MOVQ2DQ xmm2, mm1
    expect([x[8], x[9], x[10], x[11]]).toEqual([0x00020001, 0x80048003, 0, 0]);
    x[12] = 7;
    x[13] = 9;
    simd.execute(0xd6, 0xf2, 0xeb, -1); // MOVDQ2Q mm5, xmm3
    expect([mm[10], mm[11]]).toEqual([7, 9]);
  });

  it("CVTPI2PS and CVTTPS2PI convert between MMX integers and packed singles", () => {
    const { simd, mm, x } = setup();
    mm[2] = -3 >>> 0;
    mm[3] = 1 << 24 | 1; // 16777217 rounds to 16777216
    x[2] = 0x12345678;
    simd.execute(0x2a, 0, 0xc1, -1); // CVTPI2PS xmm0, mm1
    expect([x[0], x[1], x[2]]).toEqual([f32(-3), f32(16777216), 0x12345678]);
    expect(simd.mxcsr & 0x20).toBe(0x20);
    x[4] = f32(-2.75);
    x[5] = f32(1e10);
    simd.execute(0x2c, 0, 0xd1, -1); // CVTTPS2PI mm2, xmm1
    expect([mm[4], mm[5]]).toEqual([-2 >>> 0, 0x80000000]);
    expect(simd.mxcsr & 1).toBe(1);
  });
});

describe("SSE memory forms", () => {
  it("MOVSS/MOVSD from memory zero the upper lanes, register forms keep them; MOVLPS/MOVHPS/MOVHLPS/MOVLHPS", () => {
    const { h, simd, x } = setup();
    x.set([1, 2, 3, 4], 0);
    h.writeLinear32(0x100, 0xaaaa);
    h.writeLinear32(0x104, 0xbbbb);
    simd.execute(0x10, 0xf3, 0x00, 0x100);
    expect([...x.slice(0, 4)]).toEqual([0xaaaa, 0, 0, 0]);
    x.set([1, 2, 3, 4], 0);
    simd.execute(0x10, 0xf2, 0x00, 0x100);
    expect([...x.slice(0, 4)]).toEqual([0xaaaa, 0xbbbb, 0, 0]);
    x.set([1, 2, 3, 4], 0);
    x.set([5, 6, 7, 8], 4);
    simd.execute(0x10, 0xf3, 0xc1, -1);
    expect([...x.slice(0, 4)]).toEqual([5, 2, 3, 4]);
    simd.execute(0x16, 0, 0x00, 0x100); // MOVHPS xmm0, m64
    expect([...x.slice(0, 4)]).toEqual([5, 2, 0xaaaa, 0xbbbb]);
    simd.execute(0x12, 0, 0xc1, -1); // MOVHLPS xmm0, xmm1
    expect([...x.slice(0, 4)]).toEqual([7, 8, 0xaaaa, 0xbbbb]);
    simd.execute(0x16, 0, 0xc1, -1); // MOVLHPS xmm0, xmm1
    expect([...x.slice(0, 4)]).toEqual([7, 8, 5, 6]);
    simd.execute(0x17, 0, 0x00, 0x200); // MOVHPS m64, xmm0
    expect([h.readLinear32(0x200), h.readLinear32(0x204)]).toEqual([5, 6]);
    simd.execute(0xd6, 0x66, 0x00, 0x208); // MOVQ m64, xmm0
    expect([h.readLinear32(0x208), h.readLinear32(0x20c)]).toEqual([7, 8]);
  });

  it("COMISS sets ZF/PF/CF, UCOMISS does not signal on QNaN but COMISS does", () => {
    const { h, simd, x } = setup();
    x[0] = f32(1);
    x[4] = f32(2);
    simd.execute(0x2f, 0, 0xc1, -1);
    expect(h.compareFlags).toEqual([false, false, true]);
    x[4] = 0x7fc00000;
    simd.execute(0x2e, 0, 0xc1, -1);
    expect(h.compareFlags).toEqual([true, true, true]);
    expect(simd.mxcsr & 1).toBe(0);
    simd.execute(0x2f, 0, 0xc1, -1);
    expect(simd.mxcsr & 1).toBe(1);
  });

  it("saveState/loadState round-trip and reject reserved MXCSR bits", () => {
    const { h, x87, simd, x } = setup();
    x[5] = 0xdeadbeef;
    simd.mxcsr = 0x3f80;
    const s = simd.saveState();
    const other = createSimd(h, x87);
    other.loadState(structuredClone(s));
    expect(other.xmm.u32[5]).toBe(0xdeadbeef);
    expect(other.mxcsr).toBe(0x3f80);
    expect(() => other.loadState({ ...s, fields: { ...s.fields, mxcsr: 0x10000 } })).toThrow(/mxcsr/);
    expect(() => other.loadState({ ...s, fields: { ...s.fields, xmm: new Uint32Array(4) } })).toThrow(/xmm/);
  });
});

describe("kernel-space operands", () => {
  it("memory operands above 2 GiB work when the core passes them as negative int32", () => {
    const { h, x87, simd, x } = setup();
    h.base = 0xc0000000;
    const at = (off: number): number => (0xc0000000 + off) | 0; // what the core passes
    simd.execute(0xae, 0, 0x05, at(0x200)); // FXSAVE [disp32]
    expect(h.readLinear16(at(0x200))).toBe(0x037f);
    h.writeLinear32(at(0x100), 0x3f800000);
    simd.execute(0x10, 0xf3, 0x05, at(0x100)); // MOVSS xmm0, [disp32]
    expect(x[0]).toBe(0x3f800000);
    simd.execute(0x11, 0, 0x05, at(0x300)); // MOVUPS [disp32], xmm0
    expect(h.readLinear32(at(0x300))).toBe(0x3f800000);
    x87.execute(0xd9, 0x05, at(0x100)); // FLD dword [disp32]
    x87.execute(0xdd, 0x1d, at(0x400)); // FSTP qword [disp32]
    expect(h.read64(at(0x400))).toBe(0x3ff0000000000000n);
  });
});
