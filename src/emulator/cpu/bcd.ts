// Decimal adjust instructions: DAA, DAS, AAA, AAS, AAM, AAD.

import type { Handler } from "./decoder.ts";
import { EXC_DE } from "./constants.ts";
import { AF, CF, getAF, getCF, setResultFlags, materializeFlags } from "./flags.ts";

export function installBcd(t: Handler[]): void {
  t[0x27] = (c) => {
    const al = c.r8[0];
    const cf = getCF(c);
    let v = al;
    let eager = 0;
    if ((al & 0xf) > 9 || getAF(c)) {
      v += 6;
      eager |= AF;
      if (cf || v > 0xff) eager |= CF;
    }
    if (al > 0x99 || cf) {
      v += 0x60;
      eager |= CF;
    }
    c.r8[0] = v;
    setResultFlags(c, v & 0xff, 7, eager);
  };
  t[0x2f] = (c) => {
    const al = c.r8[0];
    const cf = getCF(c);
    let v = al;
    let eager = 0;
    if ((al & 0xf) > 9 || getAF(c)) {
      v -= 6;
      eager |= AF;
      if (cf || al < 6) eager |= CF;
    }
    if (al > 0x99 || cf) {
      v -= 0x60;
      eager |= CF;
    }
    c.r8[0] = v;
    setResultFlags(c, v & 0xff, 7, eager);
  };
  t[0x37] = (c) => {
    materializeFlags(c);
    if ((c.r8[0] & 0xf) > 9 || (c.flags & AF) !== 0) {
      c.r16[0] = c.r16[0] + 0x106;
      c.flags |= AF | CF;
    } else c.flags &= ~(AF | CF);
    c.r8[0] &= 0xf;
  };
  t[0x3f] = (c) => {
    materializeFlags(c);
    if ((c.r8[0] & 0xf) > 9 || (c.flags & AF) !== 0) {
      c.r16[0] = c.r16[0] - 6;
      c.r8[1] = c.r8[1] - 1;
      c.flags |= AF | CF;
    } else c.flags &= ~(AF | CF);
    c.r8[0] &= 0xf;
  };
  t[0xd4] = (c) => {
    const base = c.fetch8();
    if (base === 0) c.raise(EXC_DE);
    const al = c.r8[0];
    c.r8[1] = Math.floor(al / base);
    c.r8[0] = al % base;
    setResultFlags(c, c.r8[0], 7, 0);
  };
  t[0xd5] = (c) => {
    const base = c.fetch8();
    const al = (c.r8[0] + c.r8[1] * base) & 0xff;
    c.r8[0] = al;
    c.r8[1] = 0;
    setResultFlags(c, al, 7, 0);
  };
}
