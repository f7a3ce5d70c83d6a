// Instruction decoding for the block compiler: prefixes, opcode, ModRM/SIB, displacement and
// immediates of one instruction read straight from a RAM buffer. It only has to know the lengths
// of the opcodes it accepts; anything else returns null and the block ends before it (the
// interpreter then runs that instruction).

/** One decoded instruction. Offsets/values are plain numbers; 32-bit immediates are int32. */
export interface Insn {
  /** Guest EIP of the first byte (int32) and of the next instruction. */
  eip: number;
  next: number;
  len: number;
  /** 0x000-0x0FF one-byte map, 0x100-0x1FF the 0F map. */
  op: number;
  o16: boolean;
  a16: boolean;
  /** Segment override (0-5) or -1. */
  seg: number;
  /** 0, 0xF2 or 0xF3. */
  rep: number;
  lock: boolean;
  prefixes: number;
  /** -1 when the opcode has no ModRM byte. */
  modrm: number;
  /** SIB byte or -1. */
  sib: number;
  disp: number;
  imm: number;
  imm2: number;
}

const enum Imm { None = 0, B = 1, W = 2, V = 3, MOFFS = 4, WB = 5, VW = 6, GRP3 = 7 }

// One-byte map: [hasModrm, immediate kind]; undefined = not accepted.
const ONE: ([boolean, Imm] | undefined)[] = new Array(256);
// 0F map.
const TWO: ([boolean, Imm] | undefined)[] = new Array(256);

function init(): void {
  for (let row = 0; row < 8; row++) {
    const b = row << 3;
    ONE[b] = ONE[b + 1] = ONE[b + 2] = ONE[b + 3] = [true, Imm.None];
    ONE[b + 4] = [false, Imm.B];
    ONE[b + 5] = [false, Imm.V];
  }
  for (const b of [0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f]) ONE[b] = [false, Imm.None];
  for (let b = 0x40; b <= 0x61; b++) ONE[b] = [false, Imm.None];
  ONE[0x62] = [true, Imm.None];
  ONE[0x63] = [true, Imm.None];
  ONE[0x68] = [false, Imm.V];
  ONE[0x69] = [true, Imm.V];
  ONE[0x6a] = [false, Imm.B];
  ONE[0x6b] = [true, Imm.B];
  for (let b = 0x6c; b <= 0x6f; b++) ONE[b] = [false, Imm.None];
  for (let b = 0x70; b <= 0x7f; b++) ONE[b] = [false, Imm.B];
  ONE[0x80] = ONE[0x82] = ONE[0x83] = [true, Imm.B];
  ONE[0x81] = [true, Imm.V];
  for (let b = 0x84; b <= 0x8f; b++) ONE[b] = [true, Imm.None];
  for (let b = 0x90; b <= 0x99; b++) ONE[b] = [false, Imm.None];
  ONE[0x9a] = [false, Imm.VW];
  for (let b = 0x9b; b <= 0x9f; b++) ONE[b] = [false, Imm.None];
  for (let b = 0xa0; b <= 0xa3; b++) ONE[b] = [false, Imm.MOFFS];
  for (let b = 0xa4; b <= 0xa7; b++) ONE[b] = [false, Imm.None];
  ONE[0xa8] = [false, Imm.B];
  ONE[0xa9] = [false, Imm.V];
  for (let b = 0xaa; b <= 0xaf; b++) ONE[b] = [false, Imm.None];
  for (let b = 0xb0; b <= 0xb7; b++) ONE[b] = [false, Imm.B];
  for (let b = 0xb8; b <= 0xbf; b++) ONE[b] = [false, Imm.V];
  ONE[0xc0] = ONE[0xc1] = [true, Imm.B];
  ONE[0xc2] = [false, Imm.W];
  ONE[0xc3] = [false, Imm.None];
  ONE[0xc4] = ONE[0xc5] = [true, Imm.None];
  ONE[0xc6] = [true, Imm.B];
  ONE[0xc7] = [true, Imm.V];
  ONE[0xc8] = [false, Imm.WB];
  ONE[0xc9] = [false, Imm.None];
  ONE[0xca] = [false, Imm.W];
  for (const b of [0xcb, 0xcc, 0xce, 0xcf, 0xd7, 0xf1, 0xf4, 0xf5, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd]) ONE[b] = [false, Imm.None];
  ONE[0xcd] = [false, Imm.B];
  for (let b = 0xd0; b <= 0xd3; b++) ONE[b] = [true, Imm.None];
  ONE[0xd4] = ONE[0xd5] = [false, Imm.B];
  ONE[0xd6] = [false, Imm.None];
  for (let b = 0xd8; b <= 0xdf; b++) ONE[b] = [true, Imm.None];
  for (let b = 0xe0; b <= 0xe7; b++) ONE[b] = [false, Imm.B];
  ONE[0xe8] = ONE[0xe9] = [false, Imm.V];
  ONE[0xea] = [false, Imm.VW];
  ONE[0xeb] = [false, Imm.B];
  for (let b = 0xec; b <= 0xef; b++) ONE[b] = [false, Imm.None];
  ONE[0xf6] = ONE[0xf7] = [true, Imm.GRP3];
  ONE[0xfe] = ONE[0xff] = [true, Imm.None];

  TWO[0x00] = TWO[0x01] = [true, Imm.None];
  TWO[0x06] = [false, Imm.None]; // CLTS
  for (let b = 0x20; b <= 0x23; b++) TWO[b] = [true, Imm.None];
  TWO[0x31] = [false, Imm.None]; // RDTSC
  TWO[0xa2] = [false, Imm.None]; // CPUID
  for (let b = 0x40; b <= 0x4f; b++) TWO[b] = [true, Imm.None];
  for (let b = 0x80; b <= 0x8f; b++) TWO[b] = [false, Imm.V];
  for (let b = 0x90; b <= 0x9f; b++) TWO[b] = [true, Imm.None];
  TWO[0xa0] = TWO[0xa1] = TWO[0xa8] = TWO[0xa9] = [false, Imm.None];
  for (const b of [0xa3, 0xa5, 0xab, 0xad, 0xaf, 0xb0, 0xb1, 0xb3, 0xb6, 0xb7, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xc1]) TWO[b] = [true, Imm.None];
  TWO[0xa4] = TWO[0xac] = TWO[0xba] = [true, Imm.B];
  for (let b = 0xc8; b <= 0xcf; b++) TWO[b] = [false, Imm.None];
  // Hint NOPs: PREFETCHh (18) and NOP r/m (1F, glibc's padding), 19-1E reserved as NOPs.
  for (let b = 0x18; b <= 0x1f; b++) TWO[b] = [true, Imm.None];
  for (const b of SIMD_TWO_BYTE) TWO[b] = [b !== 0x77, SIMD_IMM8.has(b) ? Imm.B : Imm.None];
}

/** MMX, SSE and SSE2 second opcode bytes (0F and 66/F2/F3 0F forms), with FXSAVE/LDMXCSR/fences
 *  (0F AE) and MOVNTI (0F C3): the interpreter runs them inside a block, which needs only their
 *  lengths (all but EMMS, 0F 77, have ModRM; SIMD_IMM8 also an imm8). Three-byte maps (0F 38,
 *  0F 3A) stay unknown. */
export const SIMD_TWO_BYTE: ReadonlySet<number> = new Set(
  [[0x10, 0x17], [0x28, 0x2f], [0x50, 0x77], [0x7e, 0x7f], [0xae, 0xae], [0xc2, 0xc6], [0xd0, 0xfe]].flatMap(([lo, hi]) =>
    Array.from({ length: hi! - lo! + 1 }, (_, i) => lo! + i),
  ),
);
const SIMD_IMM8: ReadonlySet<number> = new Set([0x70, 0x71, 0x72, 0x73, 0xc2, 0xc4, 0xc5, 0xc6]);
init();

const PREFIX_SEG: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };

/**
 * Decodes the instruction whose first byte is ram[p] (guest EIP `eip`, 32-bit code segment).
 * `end` is the first byte offset past the page: an instruction that would cross it is refused.
 */
export function decodeInsn(ram: Uint8Array, p: number, end: number, eip: number): Insn | null {
  const start = p;
  let o16 = false, a16 = false, seg = -1, rep = 0, lock = false, prefixes = 0;
  let b: number;
  for (;;) {
    if (p >= end) return null;
    b = ram[p];
    if (b === 0x66) o16 = true;
    else if (b === 0x67) a16 = true;
    else if (b === 0xf2 || b === 0xf3) rep = b;
    else if (b === 0xf0) lock = true;
    else if (PREFIX_SEG[b] !== undefined) seg = PREFIX_SEG[b];
    else break;
    p++;
    if (++prefixes > 4) return null;
  }
  p++;
  let op = b;
  let info = ONE[b];
  if (b === 0x0f) {
    if (p >= end) return null;
    op = 0x100 | ram[p++];
    info = TWO[op & 0xff];
  }
  if (info === undefined) return null;
  const insn: Insn = {
    eip, next: 0, len: 0, op, o16, a16, seg, rep, lock, prefixes, modrm: -1, sib: -1, disp: 0, imm: 0, imm2: 0,
  };
  const need = (n: number) => p + n <= end;
  const u8 = () => ram[p++];
  const s8 = () => (ram[p++] << 24) >> 24;
  const u16 = () => { const v = ram[p] | (ram[p + 1] << 8); p += 2; return v; };
  const s32 = () => { const v = ram[p] | (ram[p + 1] << 8) | (ram[p + 2] << 16) | (ram[p + 3] << 24); p += 4; return v; };
  if (info[0]) {
    if (!need(1)) return null;
    const m = u8();
    insn.modrm = m;
    const mod = m >> 6, rm = m & 7;
    if (mod !== 3) {
      if (a16) {
        if (mod === 0 && rm === 6) { if (!need(2)) return null; insn.disp = u16(); }
        else if (mod === 1) { if (!need(1)) return null; insn.disp = s8(); }
        else if (mod === 2) { if (!need(2)) return null; insn.disp = u16(); }
      } else {
        if (rm === 4) {
          if (!need(1)) return null;
          insn.sib = u8();
        }
        if ((mod === 0 && rm === 5) || (mod === 0 && rm === 4 && (insn.sib & 7) === 5) || mod === 2) {
          if (!need(4)) return null;
          insn.disp = s32();
        } else if (mod === 1) {
          if (!need(1)) return null;
          insn.disp = s8();
        }
      }
    }
  }
  let kind = info[1];
  if (kind === Imm.GRP3) kind = ((insn.modrm >> 3) & 7) < 2 ? (op === 0xf6 ? Imm.B : Imm.V) : Imm.None;
  switch (kind) {
    case Imm.B:
      if (!need(1)) return null;
      insn.imm = u8();
      break;
    case Imm.W:
      if (!need(2)) return null;
      insn.imm = u16();
      break;
    case Imm.V:
      if (o16) { if (!need(2)) return null; insn.imm = u16(); }
      else { if (!need(4)) return null; insn.imm = s32(); }
      break;
    case Imm.MOFFS:
      if (a16) { if (!need(2)) return null; insn.imm = u16(); }
      else { if (!need(4)) return null; insn.imm = s32(); }
      break;
    case Imm.WB:
      if (!need(3)) return null;
      insn.imm = u16();
      insn.imm2 = u8();
      break;
    case Imm.VW:
      if (o16) { if (!need(4)) return null; insn.imm = u16(); }
      else { if (!need(6)) return null; insn.imm = s32(); }
      insn.imm2 = u16();
      break;
  }
  insn.len = p - start;
  if (insn.len > 15) return null;
  insn.next = (eip + insn.len) | 0;
  return insn;
}
