// The table-driven disassembler against Debian's objdump (`objdump -D -b binary -M intel`, the
// i386 machine for 32-bit code and i8086 for 16-bit code): every instruction of the differential
// suite's programs and 100 000 seeded random instructions generated from the opcode table, each
// compared (length and text, whitespace normalised) in a linear sweep over one block per mode;
// and random byte streams, compared at every line whose instruction the table has.

import { describe, expect, it } from "vitest";
import { disassemble } from "../../src/emulator/cpu/disassembler.ts";
import { Rng } from "../diff/random-program.ts";
import { compareStream, compareSweep, describeMismatch, type SweepResult } from "./disasm/compare.ts";
import { programCorpus } from "./disasm/program-corpus.ts";
import { randomInstructions } from "./disasm/random-instructions.ts";

const RANDOM_COUNT = 100_000;
const STREAM_BYTES = 100_000;
/** Instructions per objdump run. */
const BATCH = 25_000;

function report(label: string, r: SweepResult): void {
  const shown = r.mismatches.slice(0, 40).map(describeMismatch).join("\n");
  expect(r.mismatches.length, `${label}: ${r.mismatches.length} of ${r.compared} differ from objdump\n${shown}`).toBe(0);
}

describe("disassembler equals objdump -M intel", () => {
  it("on every instruction of the differential suite's programs", () => {
    const corpus = programCorpus();
    for (const bits of [16, 32] as const) {
      const insns = corpus.filter((i) => i.bits === bits);
      const code = new Uint8Array(insns.flatMap((i) => i.bytes));
      const r = compareSweep(code, bits);
      console.log(`programs, ${bits}-bit: ${insns.length} listed instructions, ${r.compared} objdump lines compared, ${r.mismatches.length} mismatches`);
      report(`programs ${bits}-bit`, r);
      expect(r.covered).toBe(code.length);
      expect(r.compared).toBeGreaterThan(bits === 32 ? 50_000 : 2_000);
    }
  });

  it(`on ${RANDOM_COUNT} random instructions from the opcode table`, () => {
    let compared = 0;
    let generated = 0;
    for (let batch = 0; batch * BATCH < RANDOM_COUNT; batch++) {
      const bits = batch % 2 === 0 ? 32 : 16;
      const { code, count } = randomInstructions(0x5eed + batch, Math.min(BATCH, RANDOM_COUNT - batch * BATCH), bits);
      const r = compareSweep(code, bits);
      console.log(`random batch ${batch} (${bits}-bit): ${count} instructions generated, ${r.compared} objdump lines compared, ${r.mismatches.length} mismatches`);
      report(`random batch ${batch} (${bits}-bit)`, r);
      expect(r.covered).toBe(code.length);
      compared += r.compared;
      generated += count;
    }
    console.log(`random: ${generated} instructions generated, ${compared} objdump lines compared, 0 mismatches`);
    expect(generated).toBe(RANDOM_COUNT);
    // FWAIT before an x87 instruction is one line to objdump
    expect(compared).toBeGreaterThan(RANDOM_COUNT * 0.99);
  });

  it(`on ${STREAM_BYTES} random bytes in each mode, wherever the opcode table has the instruction`, () => {
    for (const bits of [32, 16] as const) {
      const rng = new Rng(0xb17e5 + bits);
      const code = new Uint8Array(STREAM_BYTES + 16).fill(0x90);
      for (let i = 0; i < STREAM_BYTES; i++) code[i] = rng.int(256);
      const r = compareStream(code, bits);
      const outside = [...r.outsideTable].sort((a, b) => b[1] - a[1]);
      const outsideCount = outside.reduce((n, [, c]) => n + c, 0);
      console.log(
        `random bytes, ${bits}-bit: ${r.compared} objdump lines compared, ${r.mismatches.length} mismatches; ` +
          `${r.excluded} in excluded classes; ${outsideCount} outside the table (${outside.slice(0, 8).map(([m, c]) => `${m} ${c}`).join(", ")}…)`,
      );
      report(`random bytes ${bits}-bit`, r);
      expect(r.covered).toBe(code.length);
      // the table holds nearly everything random bytes decode to
      expect(r.compared).toBeGreaterThan(outsideCount * 20);
    }
  });

  it("reports the target of relative branches and refuses a bad mode", () => {
    const code = [0xe8, 0x10, 0x00, 0x00, 0x00];
    const d = disassemble((a) => code[a - 0x1000] ?? 0, 0x1000, { bits: 32 });
    expect(d).toMatchObject({ length: 5, text: "call 0x1015", mnemonic: "call", target: 0x1015 });
    expect(() => disassemble(() => 0, 0, { bits: 64 as 32 })).toThrow(/bits must be 16 or 32/);
  });
});
