// Compares the disassembler with objdump over one block of code: both sweep it linearly, line by
// line. objdump runs first and its lines are read only after it finished; after a mismatch the
// sweep continues at objdump's next line, so one difference is reported once.

import { disassemble } from "../../../src/emulator/cpu/disassembler.ts";
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

export function describe(m: Mismatch): string {
  return `@${m.offset.toString(16)} [${m.bytes}] objdump: ${m.expected} | ours: ${m.actual}`;
}
