// x87 state after operations with unmasked exceptions, against hardware (see
// x87-unmasked-reference.c): which results are suppressed (IE/DE/ZE, stores), which are delivered
// with the 2^±24576 bias (OE/UE to a register), stack effects, and the status word with ES/B set.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { X87 } from "../../src/emulator/cpu/fpu/index.ts";
import { FakeHost } from "./fake-host.ts";

const NAMES = ["fadd", "fsub", "fmul", "fdiv", "fsqrt", "fst m32", "fstp m64", "fistp m32", "fistp m16", "fld m32", "fld m64", "fscale", "fprem", "frndint", "fxtract", "fcomp", "fbstp", "faddp", "fld st5 (empty)", "push overflow"];
const M = 0x300; // memory operand
const SEQ: [number, number, number][][] = [
  [[0xd8, 0xc1, -1]],
  [[0xd8, 0xe1, -1]],
  [[0xd8, 0xc9, -1]],
  [[0xd8, 0xf1, -1]],
  [[0xd9, 0xfa, -1]],
  [[0xd9, 0x10, M]],
  [[0xdd, 0x18, M]],
  [[0xdb, 0x18, M]],
  [[0xdf, 0x18, M]],
  [[0xdd, 0xd8, -1], [0xd9, 0x00, 0x100]],
  [[0xdd, 0xd8, -1], [0xdd, 0x00, 0x100]],
  [[0xd9, 0xfd, -1]],
  [[0xd9, 0xf8, -1]],
  [[0xd9, 0xfc, -1]],
  [[0xd9, 0xf4, -1]],
  [[0xd8, 0xd9, -1]],
  [[0xdf, 0x30, M]],
  [[0xde, 0xc1, -1]],
  [[0xd9, 0xc5, -1]],
  Array.from({ length: 7 }, (): [number, number, number] => [0xd9, 0xe8, -1]),
];

describe("x87 with unmasked exceptions against hardware (FNSAVE images)", () => {
  const lines = readFileSync(new URL("./x87-unmasked-reference.txt", import.meta.url), "utf8").trim().split("\n");
  for (let op = 0; op < NAMES.length; op++) {
    const cases = lines.map((l) => l.split(" ")).filter((f) => Number(f[0]) === op);
    it(`${NAMES[op]}: ${cases.length} cases`, () => {
      const h = new FakeHost();
      const x = new X87(h);
      const failures: string[] = [];
      for (const f of cases) {
        h.writeLinear16(0x120, parseInt(f[1], 16));
        h.write80(0x100, parseInt(f[2], 16), BigInt("0x" + f[3]));
        h.write80(0x110, parseInt(f[4], 16), BigInt("0x" + f[5]));
        h.write64(M, 0x5a5a5a5a5a5a5a5an);
        x.execute(0xdb, 0xe3, -1); // FNINIT
        x.execute(0xd9, 0x28, 0x120); // FLDCW
        x.execute(0xdb, 0x28, 0x110);
        x.execute(0xdb, 0x28, 0x100);
        for (const [o, m, a] of SEQ[op]) x.execute(o, m, a);
        x.execute(0xdd, 0x30, 0x400); // FNSAVE
        const img = h.mem.slice(0x400, 0x400 + 108);
        img.fill(0, 12, 28);
        const top = (img[5] >> 3) & 7;
        const tw = img[8] | (img[9] << 8);
        for (let i = 0; i < 8; i++) if (((tw >> (2 * ((top + i) & 7))) & 3) === 3) img.fill(0, 28 + 10 * i, 38 + 10 * i);
        const got = [...img].map((b) => b.toString(16).padStart(2, "0")).join("") + " " + h.read64(M).toString(16).padStart(16, "0");
        const want = `${f[6]} ${f[7]}`;
        if (got !== want) failures.push(`cw=${f[1]} a=${f[2]}:${f[3]} b=${f[4]}:${f[5]}\n   want ${want}\n   got  ${got}`);
      }
      expect(failures.slice(0, 4).join("\n"), `${failures.length} mismatches`).toBe("");
    });
  }
});
