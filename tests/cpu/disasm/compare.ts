// Compares the disassembler with objdump over one block of code: both sweep it linearly, line by
// line. objdump runs first and its lines are read only after it finished; after a mismatch the
// sweep continues at objdump's next line, so one difference is reported once.

import { disassemble } from "../../../src/emulator/cpu/disassembler.ts";
import { excludedInstruction } from "./objdump-exclusions.ts";
import { objdumpLines } from "./objdump-oracle.ts";

export interface Mismatch {
  offset: number;
  bytes: string;
  expected: string;
  actual: string;
}

export interface SweepResult {
  /** objdump lines compared (FWAIT folded into the next x87 instruction makes one line of two). */
  compared: number;
  /** Bytes both sweeps covered: the whole block when they agree. */
  covered: number;
  mismatches: Mismatch[];
}

const hexBytes = (bytes: ArrayLike<number>) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

export function compareSweep(code: Uint8Array, bits: 16 | 32): SweepResult {
  const oracle = objdumpLines(code, bits);
  const read = (a: number) => (a < code.length ? code[a]! : 0);
  const mismatches: Mismatch[] = [];
  let pos = 0;
  for (const line of oracle) {
    if (line.offset !== pos) {
      mismatches.push({ offset: pos, bytes: "", expected: `(objdump's next line is at ${line.offset})`, actual: "" });
      pos = line.offset;
    }
    const mine = disassemble(read, pos, { bits });
    if (mine.length !== line.bytes.length || mine.text !== line.text) {
      mismatches.push({
        offset: pos,
        bytes: hexBytes(line.bytes),
        expected: `${line.text} (${line.bytes.length} bytes)`,
        actual: `${mine.text} (${mine.length} bytes)`,
      });
    }
    pos = line.offset + line.bytes.length;
  }
  return { compared: oracle.length, covered: pos, mismatches };
}

export function describeMismatch(m: Mismatch): string {
  return `@${m.offset.toString(16)} [${m.bytes}] objdump: ${m.expected} | ours: ${m.actual}`;
}

export interface StreamResult extends SweepResult {
  /** objdump lines at bytes the table has no instruction for (opcodes beyond the CPU model:
   *  SSE3+, VEX, 3DNow!… or objdump's own "(bad)"), by objdump's mnemonic. */
  outsideTable: Map<string, number>;
  /** Lines in an excluded class (objdump-exclusions.ts). */
  excluded: number;
}

/** Random bytes: objdump sweeps them; at each of its lines the disassembler decodes the same
 *  bytes and must agree wherever the opcode table has the instruction. */
export function compareStream(code: Uint8Array, bits: 16 | 32): StreamResult {
  const oracle = objdumpLines(code, bits);
  const read = (a: number) => (a < code.length ? code[a]! : 0);
  const result: StreamResult = { compared: 0, covered: 0, mismatches: [], outsideTable: new Map(), excluded: 0 };
  for (const line of oracle) {
    const mine = disassemble(read, line.offset, { bits });
    result.covered = line.offset + line.bytes.length;
    if (!mine.row) {
      const name = line.text.split(" ").find((w) => !PREFIX_WORDS.has(w)) ?? line.text;
      result.outsideTable.set(name, (result.outsideTable.get(name) ?? 0) + 1);
      continue;
    }
    if (excludedInstruction(mine, code.subarray(line.offset, line.offset + 16))) {
      result.excluded++;
      continue;
    }
    result.compared++;
    if (mine.length !== line.bytes.length || mine.text !== line.text) {
      result.mismatches.push({
        offset: line.offset,
        bytes: hexBytes(line.bytes),
        expected: `${line.text} (${line.bytes.length} bytes)`,
        actual: `${mine.text} (${mine.length} bytes)`,
      });
    }
  }
  return result;
}

const PREFIX_WORDS = new Set(["cs", "ds", "es", "ss", "fs", "gs", "data16", "data32", "addr16", "addr32", "lock", "rep", "repz", "repnz"]);
