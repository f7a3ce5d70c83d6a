// Instruction decoding for the block compiler: prefixes, opcode, ModRM/SIB, displacement and
// immediates of one instruction read straight from a RAM buffer. The lengths come from the opcode
// table (opcode-index.ts); an opcode without a row returns null and the block ends before it (the
// interpreter then runs that instruction, #UD).

import { ImmLayout, KEY_IMM, OP_INSTRUCTION, OP_MODRM, opKey } from "../opcode-index.ts";

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
  if (b === 0x0f) {
    if (p >= end) return null;
    op = 0x100 | ram[p++];
  }
  if (OP_INSTRUCTION[op] === 0) return null;
  const insn: Insn = {
    eip, next: 0, len: 0, op, o16, a16, seg, rep, lock, prefixes, modrm: -1, sib: -1, disp: 0, imm: 0, imm2: 0,
  };
  const need = (n: number) => p + n <= end;
  const u8 = () => ram[p++];
  const s8 = () => (ram[p++] << 24) >> 24;
  const u16 = () => { const v = ram[p] | (ram[p + 1] << 8); p += 2; return v; };
  const s32 = () => { const v = ram[p] | (ram[p + 1] << 8) | (ram[p + 2] << 16) | (ram[p + 3] << 24); p += 4; return v; };
  if (OP_MODRM[op] === 1) {
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
  switch (KEY_IMM[opKey(op, insn.modrm < 0 ? 0 : (insn.modrm >> 3) & 7)] as ImmLayout) {
    case ImmLayout.B:
      if (!need(1)) return null;
      insn.imm = u8();
      break;
    case ImmLayout.W:
      if (!need(2)) return null;
      insn.imm = u16();
      break;
    case ImmLayout.Z:
      if (o16) { if (!need(2)) return null; insn.imm = u16(); }
      else { if (!need(4)) return null; insn.imm = s32(); }
      break;
    case ImmLayout.O:
      if (a16) { if (!need(2)) return null; insn.imm = u16(); }
      else { if (!need(4)) return null; insn.imm = s32(); }
      break;
    case ImmLayout.WB:
      if (!need(3)) return null;
      insn.imm = u16();
      insn.imm2 = u8();
      break;
    case ImmLayout.ZW:
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
