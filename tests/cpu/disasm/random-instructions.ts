// Seeded random instructions generated from the opcode table: a random row, the prefixes that mean
// something for it (segment override and 67 on memory operands, 66 where the operand size matters,
// LOCK on lockable memory forms, REP on string instructions, the SIMD row's mandatory prefix), a
// ModRM byte that selects that row, SIB, displacement and immediates of random value. The classes
// in objdump-exclusions.ts are left out.

import { OPCODE_ROWS, findRow, type OpcodeRow } from "../../../src/emulator/cpu/opcode-table.ts";
import { Rng } from "../../diff/random-program.ts";
import { RM_ZERO_ONLY, excludedRow } from "./objdump-exclusions.ts";

const ELIGIBLE: readonly OpcodeRow[] = OPCODE_ROWS.filter((r) => r.unit !== "prefix" && r.unit !== "escape" && !excludedRow(r));

const SEGMENT_PREFIXES = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

function tokens(row: OpcodeRow): string[] {
  return row.operands === "" ? [] : row.operands.split(",");
}

/** The row names a memory operand outside ModRM (string, moffs, XLAT). */
function implicitMemory(row: OpcodeRow): boolean {
  return tokens(row).some((t) => /^[XYO][a-z]/.test(t)) || row.mnemonic === "xlat";
}

function isString(row: OpcodeRow): boolean {
  return tokens(row).some((t) => /^[XY][a-z]/.test(t));
}

/** One instruction for `row` in `bits`-bit code, or null when the random ModRM chose another row. */
function encode(rng: Rng, row: OpcodeRow, bits: 16 | 32): number[] | null {
  const prefixes: number[] = [];
  let opsize = bits === 32 ? 4 : 2;
  let adsize = opsize;
  // ModRM first: the prefixes depend on whether it addresses memory
  let modrm = -1;
  if (row.modrm) {
    const mod = row.mod === "mem" ? rng.int(3) : row.mod === "reg" ? 3 : rng.int(4);
    let reg = row.reg >= 0 ? row.reg : rng.int(8);
    const ops = tokens(row);
    // segment registers 6 and 7 and control registers 1, 5-7 do not exist
    if (ops.some((t) => t.startsWith("S"))) reg = rng.int(6);
    if (ops.some((t) => t.startsWith("C"))) reg = rng.pick([0, 2, 3, 4]);
    const rm = row.rm >= 0 ? row.rm : RM_ZERO_ONLY.has(row.mnemonic) ? 0 : rng.int(8);
    modrm = (mod << 6) | (reg << 3) | rm;
  }
  // MOV CRn/DRn take a register from ModRM.rm whatever mod says: no displacement follows
  const modrmMemory = modrm >= 0 && modrm >> 6 !== 3 && tokens(row).some((t) => /^([EMQWm]|R.*\/M)/.test(t));
  const memory = modrmMemory || implicitMemory(row);
  const optional: number[] = [];
  // a segment override on memory operands; now and then one that has nothing to override (objdump
  // names it: "cs nop", "ds je")
  if (memory ? rng.int(4) === 0 : rng.int(16) === 0) optional.push(rng.pick(SEGMENT_PREFIXES));
  if ((memory || row.addressSize) && rng.int(5) === 0) {
    optional.push(0x67);
    adsize = 6 - adsize;
  }
  // 66 where the operand size matters; now and then where it does not ("data16"), but not on the
  // 0F map (objdump-exclusions.ts: objdump reads other instructions there)
  if (row.prefix < 0 && (row.operandSize === "v" ? rng.int(3) === 0 : row.op < 0x100 && rng.int(16) === 0)) {
    optional.push(0x66);
    opsize = 6 - opsize;
  }
  if (row.lock && modrmMemory && rng.int(3) === 0) optional.push(0xf0);
  if (isString(row) && rng.int(2) === 0) optional.push(rng.pick([0xf3, 0xf2]));
  // random order, then the mandatory prefix next to the opcode
  for (let i = optional.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [optional[i], optional[j]] = [optional[j]!, optional[i]!];
  }
  prefixes.push(...optional);
  if (row.prefix > 0) prefixes.push(row.prefix);
  if (findRow(row.op, modrm, row.prefix < 0 ? -1 : row.prefix) !== row) return null;

  const out = [...prefixes];
  if (row.op >= 0x100) out.push(0x0f);
  out.push(row.op & 0xff);
  if (modrm >= 0) {
    out.push(modrm);
    const mod = modrm >> 6;
    const rm = modrm & 7;
    if (modrmMemory) {
      const byte = () => rng.int(256);
      const bytes = (n: number) => Array.from({ length: n }, byte);
      if (adsize === 2) {
        if (mod === 0 && rm === 6) out.push(...bytes(2));
        else out.push(...bytes(mod === 1 ? 1 : mod === 2 ? 2 : 0));
      } else {
        let base = rm;
        if (rm === 4) {
          const sib = byte();
          out.push(sib);
          base = sib & 7;
        }
        if (mod === 0 && base === 5) out.push(...bytes(4));
        else out.push(...bytes(mod === 1 ? 1 : mod === 2 ? 4 : 0));
      }
    }
  }
  for (const kind of row.imm) {
    const n = kind === "b" ? 1 : kind === "w" ? 2 : kind === "z" ? opsize : adsize;
    for (let i = 0; i < n; i++) out.push(rng.int(256));
  }
  return out.length <= 15 ? out : null;
}

/** `count` random instructions for `bits`-bit code, concatenated. */
export function randomInstructions(seed: number, count: number, bits: 16 | 32): { code: Uint8Array; count: number } {
  const rng = new Rng(seed);
  const code: number[] = [];
  let made = 0;
  while (made < count) {
    const insn = encode(rng, rng.pick(ELIGIBLE), bits);
    if (!insn) continue;
    code.push(...insn);
    made++;
  }
  return { code: new Uint8Array(code), count: made };
}
