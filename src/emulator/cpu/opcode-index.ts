// Lookups derived from the opcode table (opcode-table.ts), built once at module load as typed
// arrays for the hot paths: the interpreter's LOCK check, the JIT's decoder and block rules, the
// SIMD dispatch. Index `op` is 0x000-0x1FF (one-byte map, 0F map); index `key(op, reg)` is
// op * 8 + ModRM.reg for facts that differ between the members of a group.

import { F_ARITH, OPCODE_ROWS, type ImmKind, type OpcodeRow } from "./opcode-table.ts";

/** op * 8 + ModRM.reg. */
export const opKey = (op: number, reg: number): number => (op << 3) | reg;

/** Immediate layouts (the JIT decoder's `Imm`): none, 8, 16, 16/32 by operand size, moffs
 *  (16/32 by address size), ENTER (16 then 8), far pointer (16/32 then 16). */
export const enum ImmLayout { None = 0, B = 1, W = 2, Z = 3, O = 4, WB = 5, ZW = 6 }

function layoutOf(imm: readonly ImmKind[]): ImmLayout {
  const s = imm.join("");
  switch (s) {
    case "": return ImmLayout.None;
    case "b": return ImmLayout.B;
    case "w": return ImmLayout.W;
    case "z": return ImmLayout.Z;
    case "o": return ImmLayout.O;
    case "wb": return ImmLayout.WB;
    case "zw": return ImmLayout.ZW;
    default: throw new Error(`opcode table: immediate layout ${s} has no decoder`);
  }
}

const SIMD_UNITS = new Set(["mmx", "sse", "sse2"]);

/** 1: some row (an instruction, prefix or the 0F escape). */
export const OP_EXISTS = new Uint8Array(512);
/** 1: an instruction (not a prefix or the escape byte). */
export const OP_INSTRUCTION = new Uint8Array(512);
/** 1: a legacy prefix byte (one-byte map). */
export const OP_PREFIX = new Uint8Array(256);
/** 1: a ModRM byte follows the opcode. */
export const OP_MODRM = new Uint8Array(512);
/** 0F map: 1 when the SIMD unit runs (some forms of) it. */
export const OP_SIMD = new Uint8Array(256);
/** Per opcode and ModRM.reg: the immediate layout (ImmLayout). A reg without a row (an undefined
 *  group member) has the layout its opcode's rows agree on, so its length is still known. */
export const KEY_IMM = new Uint8Array(4096);
/** Per opcode and reg: LOCK is legal (with a memory destination). */
export const KEY_LOCK = new Uint8Array(4096);
/** Per opcode and reg: a compiled block may run it through the interpreter and go on. */
export const KEY_JIT_CONTINUES = new Uint8Array(4096);
/** Per opcode and reg (every row of it): writes all six status flags and reads none. */
export const KEY_FLAGS_KILL = new Uint8Array(4096);
/** Per opcode and reg (every row of it): neither reads nor writes any flag. */
export const KEY_FLAGS_NONE = new Uint8Array(4096);

/** The rows of one opcode and reg (all prefixes and ModRM forms). */
function rowsOf(op: number, reg: number): OpcodeRow[] {
  return BY_OP[op]!.filter((r) => r.reg < 0 || r.reg === reg);
}

const BY_OP: OpcodeRow[][] = Array.from({ length: 512 }, () => []);
for (const row of OPCODE_ROWS) BY_OP[row.op]!.push(row);

for (let op = 0; op < 512; op++) {
  const all = BY_OP[op]!;
  if (all.length === 0) continue;
  OP_EXISTS[op] = 1;
  const units = new Set(all.map((r) => r.unit));
  if (!units.has("prefix") && !units.has("escape")) OP_INSTRUCTION[op] = 1;
  if (units.has("prefix")) OP_PREFIX[op] = 1;
  if (OP_INSTRUCTION[op] === 0) continue;
  if (op >= 0x100 && all.some((r) => SIMD_UNITS.has(r.unit))) OP_SIMD[op & 0xff] = 1;
  const modrm = new Set(all.map((r) => r.modrm));
  if (modrm.size !== 1) throw new Error(`opcode table: rows of ${op.toString(16)} disagree on ModRM`);
  OP_MODRM[op] = all[0]!.modrm ? 1 : 0;
  const layouts = new Set(all.map((r) => layoutOf(r.imm)));
  for (let reg = 0; reg < 8; reg++) {
    const k = opKey(op, reg);
    const mine = rowsOf(op, reg);
    const own = new Set(mine.map((r) => layoutOf(r.imm)));
    if (own.size > 1) throw new Error(`opcode table: rows of ${op.toString(16)} /${reg} disagree on the immediate`);
    KEY_IMM[k] = own.size === 1 ? [...own][0]! : layouts.size === 1 ? [...layouts][0]! : ImmLayout.None;
    if (mine.length === 0) continue;
    KEY_LOCK[k] = mine.some((r) => r.lock) ? 1 : 0;
    KEY_JIT_CONTINUES[k] = mine.every((r) => r.jit === "continue") ? 1 : 0;
    KEY_FLAGS_KILL[k] = mine.every((r) => r.flagsWritten === F_ARITH && r.flagsRead === 0) ? 1 : 0;
    KEY_FLAGS_NONE[k] = mine.every((r) => r.flagsWritten === 0 && r.flagsRead === 0) ? 1 : 0;
  }
}
