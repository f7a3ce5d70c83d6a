// The few classes of encodings where the disassembler does not follow objdump, each because
// objdump's output cannot sensibly be matched: the random instructions leave them out and the
// random byte streams skip them.

import type { Disassembly } from "../../../src/emulator/cpu/disassembler.ts";
import type { OpcodeRow } from "../../../src/emulator/cpu/opcode-table.ts";

/** By mnemonic:
 *  - the x87 register aliases FCOM2/FCOMP3/FCOMP5/FXCH4/FXCH7/FSTP1/FSTP8/FSTP9 (undocumented
 *    encodings the CPU executes): objdump prints "(bad)";
 *  - FNENI/FNDISI/FNSETPM (8087/287 instructions, no-ops since the 387): objdump appends
 *    "(8087 only)"/"(287 only)" to the mnemonic;
 *  - SALC (undocumented D6): objdump prints "(bad)". */
export const EXCLUDED_MNEMONICS = new Set(["fcom2", "fcomp3", "fcomp5", "fxch4", "fxch7", "fstp1", "fstp8", "fstp9", "fneni", "fndisi", "fnsetpm", "salc"]);
/** By opcode: the hint NOPs 0F 1A-1C, which objdump decodes as MPX (BNDLDX/BNDSTX/BNDMOV…) and
 *  CLDEMOTE. */
export const EXCLUDED_OPS = new Set([0x11a, 0x11b, 0x11c]);
/** F2/F3, or a 66 that changes nothing, before a 0F-map instruction without mandatory-prefix forms
 *  (the P6 ignores them): objdump reads later extensions there (TZCNT/LZCNT, ENDBR32, WBNOINVD,
 *  TPAUSE, CLFLUSHOPT, …) or prints "(bad)". Random instructions never put them there; random bytes
 *  do. */
function ignoredPrefixOnTwoByteOpcode(d: Disassembly, bytes: ArrayLike<number>): boolean {
  if (!d.row || d.row.op < 0x100 || d.row.prefix >= 0) return false;
  for (let i = 0; i < d.length && bytes[i] !== 0x0f; i++) {
    if (bytes[i] === 0xf2 || bytes[i] === 0xf3 || (bytes[i] === 0x66 && d.row.operandSize === "fixed")) return true;
  }
  return false;
}

/** FWAIT, prefixes, FWAIT: objdump makes the first FWAIT and the prefixes one instruction ("cs fwait")
 *  unless an x87 instruction follows. */
function fwaitPrefixesFwait(bytes: ArrayLike<number>): boolean {
  if (bytes[0] !== 0x9b) return false;
  let i = 1;
  while (i < bytes.length && PREFIXES.has(bytes[i]!)) i++;
  return i > 1 && bytes[i] === 0x9b;
}
const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/** LFENCE/MFENCE/SFENCE: the CPU ignores ModRM.rm, objdump shows "(bad)" unless it is 0. */
export const RM_ZERO_ONLY = new Set(["lfence", "mfence", "sfence"]);

export function excludedRow(row: OpcodeRow): boolean {
  return EXCLUDED_MNEMONICS.has(row.mnemonic) || EXCLUDED_OPS.has(row.op);
}

/** Whether a decoded instruction is in an excluded class (`bytes`: from its first byte on, at
 *  least 16 of them). */
export function excludedInstruction(d: Disassembly, bytes: ArrayLike<number>): boolean {
  if (!d.row) return false;
  if (fwaitPrefixesFwait(bytes)) return true;
  if (excludedRow(d.row) || ignoredPrefixOnTwoByteOpcode(d, bytes)) return true;
  return RM_ZERO_ONLY.has(d.row.mnemonic) && (bytes[d.length - 1]! & 7) !== 0;
}
