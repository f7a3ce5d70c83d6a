// x87 behaviour from the Intel SDM: register encoding, stack faults, unmasked exceptions (#MF and
// IRQ13), CR0 checks, environment layouts, compares, BCD, constants and state save/restore.

import { describe, expect, it } from "vitest";
import { X87 } from "../../src/emulator/cpu/fpu/index.ts";
import { FakeHost, fault } from "./fake-host.ts";
import { xorshift32 } from "../xorshift.ts";

const FNINIT = [0xdb, 0xe3] as const;
const FLD1 = [0xd9, 0xe8] as const;
const FLDZ = [0xd9, 0xee] as const;

function setup(): { h: FakeHost; x: X87; run: (op: number, modrm: number, addr?: number) => void } {
  const h = new FakeHost();
  const x = new X87(h);
  const run = (op: number, modrm: number, addr = -1): void => x.execute(op, modrm, addr);
  run(...FNINIT);
  return { h, x, run };
}

/** An 80-bit operand: sign and exponent, significand. */
type Ext = [number, bigint];

/** FNINIT, ST1 = y and ST0 = x (loaded as m80 from 0x100 and 0x110), then the D9 instruction `op`
 *  (FPATAN, FYL2X, ...: ST1 op ST0, result in the new ST0). */
function runOnPair({ h, run }: Pick<ReturnType<typeof setup>, "h" | "run">, op: number, y: Ext, x: Ext): void {
  run(...FNINIT);
  h.write80(0x100, y[0], y[1]);
  h.write80(0x110, x[0], x[1]);
  run(0xdb, 0x28, 0x100);
  run(0xdb, 0x28, 0x110);
  run(0xd9, op);
}

describe("x87 registers and stack", () => {
  it("FLD m80 / FSTP m80 round-trip every bit pattern (unnormals, pseudo-denormals, NaN payloads)", () => {
    const { h, x, run } = setup();
    const r = xorshift32(7);
    const special: [number, bigint][] = [
      [0x3fff, 0x4000000000000000n], // unnormal
      [0x0000, 0x8000000000000001n], // pseudo-denormal
      [0x7fff, 0x0000000000000001n], // pseudo-NaN
      [0x7fff, 0x0000000000000000n], // pseudo-infinity
      [0xffff, 0x8000000000000001n], // SNaN
      [0x7fff, 0xc0000000deadbeefn], // QNaN with payload
    ];
    for (let i = 0; i < 500; i++) {
      const [se, sig] = i < special.length ? special[i] : [r() & 0xffff, (BigInt(r()) << 32n) | BigInt(r())];
      h.write80(0x100, se, sig);
      run(0xdb, 0x28, 0x100); // FLD m80
      run(0xdb, 0x38, 0x200); // FSTP m80
      expect(h.read80(0x200)).toEqual([se, sig]);
    }
    expect(x.statusWord()).toBe(0);
  });

  it("stack overflow: IE, SF and C1 set, the indefinite is pushed", () => {
    const { h, x, run } = setup();
    for (let i = 0; i < 8; i++) run(...FLD1);
    expect(x.statusWord() & 0x7f).toBe(0);
    run(...FLDZ);
    expect(x.statusWord() & 0x3ff).toBe(0x241); // C1 | SF | IE
    run(0xdb, 0x38, 0x200);
    expect(h.read80(0x200)).toEqual([0xffff, 0xc000000000000000n]);
  });

  it("stack underflow: IE and SF with C1 clear, the destination gets the indefinite", () => {
    const { h, x, run } = setup();
    run(0xd8, 0xc1); // FADD ST0, ST1 on an empty stack
    expect(x.statusWord() & 0x3ff).toBe(0x41);
    expect(x.empty[x.top]).toBe(0);
    run(0xdb, 0x38, 0x200);
    expect(h.read80(0x200)).toEqual([0xffff, 0xc000000000000000n]);
  });

  it("FXCH, FINCSTP/FDECSTP and FFREE move TOP and tags as specified", () => {
    const { x, run } = setup();
    run(...FLD1);
    run(...FLDZ);
    run(0xd9, 0xc9); // FXCH ST1
    expect(x.se[x.phys(0)]).toBe(0x3fff);
    expect(x.se[x.phys(1)]).toBe(0);
    run(0xd9, 0xf7); // FINCSTP
    expect(x.top).toBe(7);
    run(0xd9, 0xf6); // FDECSTP
    expect(x.top).toBe(6);
    run(0xdd, 0xc1); // FFREE ST1
    expect(x.empty[x.phys(1)]).toBe(1);
    expect(x.tagWord()).toBe(0xffff & ~(3 << (2 * 6)) & 0xffff);
  });
});

describe("x87 exceptions", () => {
  it("an unmasked exception leaves the destination alone and faults #MF at the next waiting instruction (CR0.NE=1)", () => {
    const { h, x, run } = setup();
    h.writeLinear16(0x100, 0x037b); // ZE unmasked
    run(0xd9, 0x28, 0x100); // FLDCW
    run(...FLD1);
    run(...FLDZ);
    run(0xd8, 0xf9); // FDIVR ST0, ST1 ... ST0 = ST1 / ST0 = 1/0
    expect(x.statusWord() & 0x80ff).toBe(0x8084); // B | ES | ZE
    expect(x.se[x.top]).toBe(0); // +0 still there
    run(0xdd, 0x38, 0x110); // FNSTSW m16 is non-waiting
    expect(h.readLinear16(0x110) & 0x80ff).toBe(0x8084);
    expect(fault(() => run(...FLD1))).toBe(16);
    expect(fault(() => x.wait())).toBe(16);
    run(0xdb, 0xe2); // FNCLEX
    expect(x.statusWord() & 0x80ff).toBe(0);
    run(...FLD1);
  });

  it("with CR0.NE=0 the pending error asserts IRQ13 once and execution continues", () => {
    const { h, x, run } = setup();
    h.cr0 &= ~0x20;
    h.writeLinear16(0x100, 0x037e); // IE unmasked
    run(0xd9, 0x28, 0x100);
    run(0xd9, 0xc1); // FLD ST1 from an empty register: underflow
    expect(x.statusWord() & 0xff).toBe(0xc1);
    run(...FLD1);
    x.wait();
    expect(h.irq13Count).toBe(1);
  });

  it("FLDCW that unmasks an already flagged exception makes the next instruction fault", () => {
    const { h, run } = setup();
    run(...FLD1);
    run(...FLDZ);
    run(0xd8, 0xf9); // masked 1/0: ZE flagged, result +inf
    h.writeLinear16(0x100, 0x037b);
    run(0xd9, 0x28, 0x100);
    expect(fault(() => run(...FLD1))).toBe(16);
  });

  it("unmasked overflow to a register delivers the result scaled by 2^-24576", () => {
    const { h, x, run } = setup();
    h.writeLinear16(0x100, 0x0377); // OE unmasked
    run(0xd9, 0x28, 0x100);
    h.write80(0x110, 0x7ffe, 0xc000000000000000n); // 1.5 × 2^16383
    run(0xdb, 0x28, 0x110);
    run(0xd8, 0xc8); // FMUL ST0, ST0
    expect(x.se[x.top]).toBe(0x5ffe);
    expect(x.getSig(x.top)).toBe(0x9000000000000000n);
    expect(x.statusWord() & 0xff).toBe(0x88); // ES | OE, exact so no PE
  });

  it("CR0.EM and CR0.TS raise #NM; WAIT faults only with TS and MP", () => {
    const { h, x, run } = setup();
    h.cr0 |= 0x4;
    expect(fault(() => run(...FLD1))).toBe(7);
    h.cr0 &= ~0x4;
    h.cr0 |= 0x8;
    expect(fault(() => run(...FLD1))).toBe(7);
    expect(fault(() => x.wait())).toBe(7);
    h.cr0 &= ~0x2;
    expect(fault(() => x.wait())).toBe(-1);
  });

  it("FISTTP (SSE3) and reserved encodings are #UD", () => {
    const { run } = setup();
    expect(fault(() => run(0xdb, 0x08, 0x100))).toBe(6);
    expect(fault(() => run(0xd9, 0xd1))).toBe(6);
  });
});

describe("x87 environment layouts", () => {
  it("FNSTENV (32-bit protected) stores CW/SW/TW/pointers and then masks all exceptions", () => {
    const { h, x, run } = setup();
    h.writeLinear16(0x100, 0x0360);
    run(0xd9, 0x28, 0x100); // FLDCW 0x360 (all unmasked)
    h.currentCs = 0x1b;
    h.currentEip = 0x08048123;
    h.currentDataSelector = 0x23;
    h.currentDataOffset = 0x1234;
    h.write80(0x110, 0, 0n);
    run(0xdb, 0x28, 0x110); // FLD m80 (+0): tag 01
    run(...FLD1); // tag 00
    h.currentEip = 0x08048200;
    run(0xd9, 0x30, 0x300); // FNSTENV
    expect(h.readLinear16(0x300)).toBe(0x0360);
    expect(h.readLinear16(0x304)).toBe(6 << 11);
    expect(h.readLinear16(0x308)).toBe(0x4fff); // ST0 = phys 6 valid (00), ST1 = phys 7 zero (01), rest empty
    expect(h.readLinear32(0x30c)).toBe(0x08048123); // FLD1 was the last non-control instruction
    expect(h.readLinear32(0x310)).toBe(0x1b | (((0xd9 & 7) << 8 | 0xe8) << 16));
    expect(h.readLinear32(0x314)).toBe(0x1234);
    expect(h.readLinear16(0x318)).toBe(0x23);
    expect(x.cw & 0x3f).toBe(0x3f);
    // FLDENV restores it.
    run(...FNINIT);
    run(0xd9, 0x20, 0x300);
    expect(x.cw).toBe(0x0360);
    expect(x.top).toBe(6);
    expect(x.empty.join("")).toBe("11111100");
  });

  it("FNSAVE/FRSTOR (16-bit real mode) round-trip registers and FNSAVE reinitialises", () => {
    const { h, x, run } = setup();
    h.operandSize32 = false;
    h.protectedMode = false;
    h.currentCs = 0x1234;
    h.currentEip = 0x0010;
    run(...FLD1);
    run(0xd9, 0xeb); // FLDPI
    run(0xdd, 0x30, 0x400); // FNSAVE
    expect(x.top).toBe(0);
    expect(x.empty.join("")).toBe("11111111");
    expect(h.readLinear16(0x406)).toBe((0x12340 + 0x10) & 0xffff);
    expect(h.readLinear16(0x408)).toBe((((0x12350 >> 16) & 0xf) << 12) | 0x1eb);
    expect(h.read80(0x400 + 14)).toEqual([0x4000, 0xc90fdaa22168c235n]); // ST0 = pi
    expect(h.read80(0x400 + 24)).toEqual([0x3fff, 0x8000000000000000n]);
    run(0xdd, 0x20, 0x400); // FRSTOR
    expect(x.top).toBe(6);
    expect(x.se[x.top]).toBe(0x4000);
    expect(x.tagWord()).toBe(0x0fff);
  });
});

describe("x87 compares, moves, constants, BCD", () => {
  it("FCOMI/FUCOMIP set ZF/PF/CF and FCMOVcc reads them", () => {
    const { h, x, run } = setup();
    run(...FLD1);
    run(...FLDZ); // ST0 = 0, ST1 = 1
    run(0xdb, 0xf1); // FCOMI ST0, ST1: less → CF
    expect(h.compareFlags).toEqual([false, false, true]);
    run(0xda, 0xc1); // FCMOVB ST0, ST1 → ST0 = 1
    expect(x.se[x.top]).toBe(0x3fff);
    run(0xdf, 0xe9); // FUCOMIP ST0, ST1: equal, pop
    expect(h.compareFlags).toEqual([true, false, false]);
    expect(x.top).toBe(7);
  });

  it("FCOM against a QNaN is invalid, FUCOM is not; both report unordered", () => {
    const { h, x, run } = setup();
    h.write80(0x100, 0x7fff, 0xc000000000000001n);
    run(0xdb, 0x28, 0x100);
    run(...FLD1);
    run(0xdd, 0xe1); // FUCOM ST1
    expect(x.statusWord() & 0x4701).toBe(0x4500);
    run(0xd8, 0xd1); // FCOM ST1
    expect(x.statusWord() & 0x4701).toBe(0x4501);
  });

  it("constants follow the rounding control", () => {
    const { h, x, run } = setup();
    const load = (cw: number, modrm: number): bigint => {
      run(...FNINIT);
      h.writeLinear16(0x100, cw);
      run(0xd9, 0x28, 0x100);
      run(0xd9, modrm);
      return x.getSig(x.top);
    };
    expect(load(0x037f, 0xeb)).toBe(0xc90fdaa22168c235n); // pi, nearest
    expect(load(0x077f, 0xeb)).toBe(0xc90fdaa22168c234n); // pi, down
    expect(load(0x0b7f, 0xeb)).toBe(0xc90fdaa22168c235n); // pi, up
    expect(load(0x0b7f, 0xe9)).toBe(0xd49a784bcd1b8affn); // log2(10), up
    expect(load(0x0f7f, 0xea)).toBe(0xb8aa3b295c17f0bbn); // log2(e), toward zero
  });

  it("FBLD/FBSTP round-trip packed BCD, FIST overflow stores the integer indefinite", () => {
    const { h, x, run } = setup();
    const bcd = [0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80]; // -123456789012345678
    bcd.forEach((b, i) => h.writeLinear8(0x100 + i, b));
    run(0xdf, 0x20, 0x100); // FBLD
    run(0xd9, 0xc0); // FLD ST0
    run(0xdf, 0x30, 0x200); // FBSTP
    expect([...h.mem.slice(0x200, 0x20a)]).toEqual(bcd);
    run(0xdb, 0x10, 0x300); // FIST m32: out of range
    expect(h.readLinear32(0x300)).toBe(0x80000000);
    expect(x.statusWord() & 1).toBe(1);
  });

  it("FXAM classifies empty, zero, denormal, normal, infinity, NaN and unsupported", () => {
    const { h, x, run } = setup();
    const codes = (): number => (x.statusWord() >> 8) & 0x47;
    run(0xd9, 0xe5);
    expect(codes()).toBe(0x41); // empty: C3 C0
    const cases: [number, bigint, number][] = [
      [0x0000, 0n, 0x40],
      [0x0000, 1n, 0x44],
      [0x3fff, 0x8000000000000000n, 0x04],
      [0x7fff, 0x8000000000000000n, 0x05],
      [0x7fff, 0xc000000000000000n, 0x01],
      [0x3fff, 0x4000000000000000n, 0x00],
    ];
    for (const [se, sig, want] of cases) {
      h.write80(0x100, se, sig);
      run(0xdb, 0x28, 0x100);
      run(0xd9, 0xe5);
      expect(codes()).toBe(want);
      run(0xdd, 0xd8); // FSTP ST0
    }
  });

  it("FPREM reports the low quotient bits in C0, C3, C1", () => {
    const { h, x, run } = setup();
    h.writeLinear32(0x100, 3);
    h.writeLinear32(0x104, 11);
    run(0xdb, 0x00, 0x100); // FILD 3
    run(0xdb, 0x00, 0x104); // FILD 11
    run(0xd9, 0xf8); // FPREM: 11 = 3·3 + 2
    const sw = x.statusWord();
    run(0xdb, 0x18, 0x200); // FISTP
    expect(h.readLinear32(0x200)).toBe(2);
    expect([(sw >> 8) & 1, (sw >> 14) & 1, (sw >> 9) & 1, (sw >> 10) & 1]).toEqual([0, 1, 1, 0]); // Q=3: C0=0 C3=1 C1=1, C2=0
  });
});

describe("x87 transcendentals", () => {
  it("FSIN of an argument ≥ 2^63 sets C2 and leaves it; FPTAN pushes 1.0; FSINCOS gives sin and cos", () => {
    const { h, x, run } = setup();
    h.write80(0x100, 0x403f, 0x8000000000000000n); // 2^64
    run(0xdb, 0x28, 0x100);
    run(0xd9, 0xfe);
    expect(x.statusWord() & 0x400).toBe(0x400);
    expect(x.se[x.top]).toBe(0x403f);
    run(...FNINIT);
    h.writeLinear32(0x110, 0x3f000000); // 0.5f
    run(0xd9, 0x00, 0x110);
    run(0xd9, 0xf2); // FPTAN
    expect([x.se[x.top], x.getSig(x.top)]).toEqual([0x3fff, 0x8000000000000000n]);
    run(0xdd, 0xd8);
    run(0xdd, 0x18, 0x120); // FSTP m64
    const tan = new Float64Array(new Uint8Array(h.mem.slice(0x120, 0x128)).buffer)[0];
    expect(tan).toBeCloseTo(Math.tan(0.5), 15);
    run(0xd9, 0x00, 0x110);
    run(0xd9, 0xfb); // FSINCOS: ST0 = cos, ST1 = sin
    run(0xdd, 0x18, 0x130);
    run(0xdd, 0x18, 0x138);
    const f = new Float64Array(new Uint8Array(h.mem.slice(0x130, 0x140)).buffer);
    expect(f[0]).toBeCloseTo(Math.cos(0.5), 15);
    expect(f[1]).toBeCloseTo(Math.sin(0.5), 15);
  });
});

describe("x87 FPATAN special operands", () => {
  it("zeros and infinities give exact quadrant angles rounded from pi", () => {
    const { h, x, run } = setup();
    const atan = (y: [number, bigint], xv: [number, bigint]): [number, bigint] => {
      runOnPair({ h, run }, 0xf3, y, xv); // FPATAN
      return [x.se[x.top], x.getSig(x.top)];
    };
    const one: [number, bigint] = [0x3fff, 1n << 63n];
    const minusOne: [number, bigint] = [0xbfff, 1n << 63n];
    const zero: [number, bigint] = [0, 0n];
    const inf: [number, bigint] = [0x7fff, 1n << 63n];
    expect(atan(one, zero)).toEqual([0x3fff, 0xc90fdaa22168c235n]); // pi/2
    expect(atan(zero, minusOne)).toEqual([0x4000, 0xc90fdaa22168c235n]); // pi
    expect(atan(inf, inf)).toEqual([0x3ffe, 0xc90fdaa22168c235n]); // pi/4
    expect(atan(zero, one)).toEqual([0, 0n]);
  });
});

describe("x87 FYL2X special operands", () => {
  it("log2 of ±0 is a zero divide for a finite ST1 but exact for an infinite one", () => {
    const { h, x, run } = setup();
    const fyl2x = (y: [number, bigint], xv: [number, bigint]): [number, bigint, number] => {
      runOnPair({ h, run }, 0xf1, y, xv); // FYL2X
      return [x.se[x.top], x.getSig(x.top), x.statusWord() & 0x3f];
    };
    const zero: [number, bigint] = [0, 0n];
    const minusZero: [number, bigint] = [0x8000, 0n];
    const two: [number, bigint] = [0x4000, 1n << 63n];
    const inf: [number, bigint] = [0x7fff, 1n << 63n];
    const minusInf: [number, bigint] = [0xffff, 1n << 63n];
    // SDM FYL2X results: ST(0) = ±0 gives -∞·sign(ST1); #Z (ZE = 0x04) only when ST1 is finite
    expect(fyl2x(two, zero)).toEqual([0xffff, 1n << 63n, 0x04]);
    expect(fyl2x(inf, zero)).toEqual([0xffff, 1n << 63n, 0]);
    expect(fyl2x(minusInf, minusZero)).toEqual([0x7fff, 1n << 63n, 0]);
    expect(fyl2x(zero, zero)).toEqual([0xffff, 0xc000000000000000n, 0x01]); // 0·log2(0): invalid
  });
});

describe("x87 state", () => {
  it("saveState/loadState round-trips into a fresh unit and rejects bad fields", () => {
    const { h, x, run } = setup();
    run(...FLD1);
    run(0xd9, 0xeb);
    run(0xd8, 0xc1);
    const s = x.saveState();
    const y = new X87(h);
    y.loadState(structuredClone(s));
    expect(y.saveState()).toEqual(s);
    expect(() => y.loadState({ ...s, version: 99 })).toThrow(/version/);
    expect(() => y.loadState({ ...s, fields: { ...s.fields, top: 9 } })).toThrow(/top/);
    expect(() => y.loadState({ ...s, fields: { ...s.fields, se: new Uint16Array(3) } })).toThrow(/se/);
  });
});
