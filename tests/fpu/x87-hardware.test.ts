// Known answers measured on real x87 hardware (see x87-reference.c): every bit of the results,
// the status word (exception flags, condition codes, TOP) and stored memory images must match.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { X87 } from "../../src/emulator/cpu/fpu/index.ts";
import { FakeHost } from "./fake-host.ts";

const OP_NAMES = ["fadd", "fsub", "fmul", "fdiv", "fsqrt", "fprem", "fprem1", "frndint", "fscale", "fxtract", "fst m32", "fst m64", "fist m32", "fistp m64", "fcom", "fucom", "fbstp", "fld m32", "fld m64", "fxam",
  "fadd m32", "fadd m64", "fmul m32", "fdivr m64", "fiadd m32", "fisubr m16", "fcom m32", "ficomp m32"];

// [opcode, modrm, memory operand?] for each op; "then" = an extra instruction after it.
const ENCODING: [number, number, boolean][] = [
  [0xd8, 0xc1, false],
  [0xd8, 0xe1, false],
  [0xd8, 0xc9, false],
  [0xd8, 0xf1, false],
  [0xd9, 0xfa, false],
  [0xd9, 0xf8, false],
  [0xd9, 0xf5, false],
  [0xd9, 0xfc, false],
  [0xd9, 0xfd, false],
  [0xd9, 0xf4, false],
  [0xd9, 0x10, true],
  [0xdd, 0x10, true],
  [0xdb, 0x10, true],
  [0xdf, 0x38, true],
  [0xd8, 0xd1, false],
  [0xdd, 0xe1, false],
  [0xdf, 0x30, true],
  [0xd9, 0x00, true],
  [0xdd, 0x00, true],
  [0xd9, 0xe5, false],
  [0xd8, 0x00, true],
  [0xdc, 0x00, true],
  [0xd8, 0x08, true],
  [0xdc, 0x38, true],
  [0xda, 0x00, true],
  [0xde, 0x28, true],
  [0xd8, 0x10, true],
  [0xda, 0x18, true],
];

const hex = (v: number | bigint, w: number): string => v.toString(16).padStart(w, "0");

function runCase(h: FakeHost, x: FakeX87, f: string[]): string {
  const op = Number(f[0]);
  const cw = parseInt(f[1], 16);
  h.mem.fill(0, 0x100, 0x200);
  h.writeLinear16(0x120, cw);
  h.write80(0x100, parseInt(f[2], 16), BigInt("0x" + f[3]));
  h.write80(0x110, parseInt(f[4], 16), BigInt("0x" + f[5]));
  x.execute(0xdb, 0xe3, -1); // FNINIT
  x.execute(0xd9, 0x28, 0x120); // FLDCW
  x.execute(0xdb, 0x28, 0x110); // FLD m80 b
  const [opc, modrm, mem] = ENCODING[op];
  if (op === 17 || op === 18) {
    h.write64(0x160, BigInt("0x" + f[3]));
    x.execute(opc, modrm, 0x160);
  } else if (op >= 20) {
    // The memory operand is recorded in the result's extra field.
    h.write64(0x160, BigInt("0x" + f[12]));
    x.execute(0xdb, 0x28, 0x100);
    x.execute(opc, modrm, 0x160);
  } else {
    x.execute(0xdb, 0x28, 0x100); // FLD m80 a
    x.execute(opc, modrm, mem ? 0x160 : -1);
    if (op === 13 || op === 16) x.execute(0xd9, 0xe8, -1); // FLD1
  }
  x.execute(0xdd, 0x38, 0x130); // FNSTSW
  x.execute(0xdb, 0x38, 0x140); // FSTP m80
  x.execute(0xdb, 0x38, 0x150); // FSTP m80
  const [rse, rsig] = h.read80(0x140);
  const [r2se, r2sig] = h.read80(0x150);
  let exHi = 0n;
  let exLo = 0n;
  if (op === 10 || op === 12) exLo = BigInt(h.readLinear32(0x160));
  else if (op === 11 || op === 13) exLo = h.read64(0x160);
  else if (op >= 20) exLo = h.read64(0x160);
  else if (op === 16) {
    exLo = h.read64(0x160);
    exHi = BigInt(h.readLinear16(0x168));
  }
  return [hex(rse, 4), hex(rsig, 16), hex(r2se, 4), hex(r2sig, 16), hex(h.readLinear16(0x130), 4), hex(exHi, 16), hex(exLo, 16)].join(" ");
}
type FakeX87 = X87;

describe("x87 against hardware reference results", () => {
  const lines = readFileSync(new URL("./x87-reference.txt", import.meta.url), "utf8").trim().split("\n");
  const byOp = new Map<number, string[][]>();
  for (const line of lines) {
    const f = line.split(" ");
    const op = Number(f[0]);
    if (!byOp.has(op)) byOp.set(op, []);
    byOp.get(op)!.push(f);
  }
  for (const [op, cases] of byOp) {
    it(`${OP_NAMES[op]}: ${cases.length} cases bit-exact`, () => {
      const h = new FakeHost();
      const x = new X87(h);
      const failures: string[] = [];
      for (const f of cases) {
        const expected = f.slice(6).join(" ");
        const got = runCase(h, x, f);
        if (got !== expected) failures.push(`cw=${f[1]} a=${f[2]}:${f[3]} b=${f[4]}:${f[5]}\n   want ${expected}\n   got  ${got}`);
      }
      expect(failures.slice(0, 8).join("\n"), `${failures.length} mismatches`).toBe("");
    });
  }
});
