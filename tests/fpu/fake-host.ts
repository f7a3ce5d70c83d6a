// A minimal CoprocessorHost over a plain byte array, for testing the x87/SIMD units without the core.

import type { CoprocessorHost } from "../../src/emulator/cpu/coprocessor.ts";

export class CpuException extends Error {
  constructor(readonly vector: number) {
    super(`CPU exception ${vector}`);
  }
}

/** Runs `fn`: the vector of the CpuException it raised, or -1 when it raised none (other errors
 *  propagate). */
export function fault(fn: () => void): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof CpuException) return e.vector;
    throw e;
  }
  return -1;
}

export class FakeHost implements CoprocessorHost {
  readonly mem = new Uint8Array(1 << 16);
  readonly regs = new Uint32Array(8);
  eflags = 0x2;
  cr0 = 0x33; // PE, MP, ET, NE
  cr4 = 0x600; // OSFXSR, OSXMMEXCPT
  operandSize32 = true;
  protectedMode = true;
  currentCs = 0x08;
  currentEip = 0x1000;
  currentDataSelector = 0x10;
  currentDataOffset = 0;
  irq13Count = 0;
  imm: number[] = [];
  compareFlags: [boolean, boolean, boolean] | null = null;

  /** Linear address of mem[0]: tests of high (kernel-space) addresses set it to e.g. 0xC0000000. */
  base = 0;

  /** Maps a linear address (signed or unsigned int32, like the core's) to an index into mem. */
  private check(addr: number, len: number): number {
    const a = ((addr >>> 0) - this.base) >>> 0;
    if (a + len > this.mem.length) throw new Error(`fake host: access ${(addr >>> 0).toString(16)}+${len} out of range`);
    return a;
  }
  readLinear8(addr: number): number {
    const a = this.check(addr, 1);
    return this.mem[a];
  }
  readLinear16(addr: number): number {
    const a = this.check(addr, 2);
    return this.mem[a] | (this.mem[a + 1] << 8);
  }
  readLinear32(addr: number): number {
    const a = this.check(addr, 4);
    return (this.mem[a] | (this.mem[a + 1] << 8) | (this.mem[a + 2] << 16) | (this.mem[a + 3] << 24)) >>> 0;
  }
  writeLinear8(addr: number, v: number): void {
    const a = this.check(addr, 1);
    this.mem[a] = v;
  }
  writeLinear16(addr: number, v: number): void {
    const a = this.check(addr, 2);
    this.mem[a] = v;
    this.mem[a + 1] = v >> 8;
  }
  writeLinear32(addr: number, v: number): void {
    const a = this.check(addr, 4);
    this.mem[a] = v;
    this.mem[a + 1] = v >> 8;
    this.mem[a + 2] = v >> 16;
    this.mem[a + 3] = v >> 24;
  }
  getReg32(i: number): number {
    return this.regs[i];
  }
  setReg32(i: number, v: number): void {
    this.regs[i] = v;
  }
  setReg16(i: number, v: number): void {
    this.regs[i] = (this.regs[i] & 0xffff0000) | (v & 0xffff);
  }
  fetchImm8(): number {
    const v = this.imm.shift();
    if (v === undefined) throw new Error("fake host: no immediate queued");
    return v & 0xff;
  }
  raiseException(vector: number): never {
    throw new CpuException(vector);
  }
  getEflags(): number {
    return this.eflags;
  }
  setCompareFlags(zf: boolean, pf: boolean, cf: boolean): void {
    this.compareFlags = [zf, pf, cf];
    this.eflags = (this.eflags & ~0x8d5) | (zf ? 0x40 : 0) | (pf ? 0x4 : 0) | (cf ? 1 : 0);
  }
  signalFpuIrq13(): void {
    this.irq13Count++;
  }

  // Test helpers.
  write64(a: number, v: bigint): void {
    this.writeLinear32(a, Number(v & 0xffffffffn));
    this.writeLinear32(a + 4, Number((v >> 32n) & 0xffffffffn));
  }
  read64(a: number): bigint {
    return (BigInt(this.readLinear32(a + 4)) << 32n) | BigInt(this.readLinear32(a));
  }
  write80(a: number, se: number, sig: bigint): void {
    this.write64(a, sig);
    this.writeLinear16(a + 8, se);
  }
  read80(a: number): [number, bigint] {
    return [this.readLinear16(a + 8), this.read64(a)];
  }
}
