// The registers a GDB client sees, in the order of its `g` packet and register numbers: gdb's
// "org.gnu.gdb.i386.core" feature (the 8 general registers, EIP, EFLAGS, the 6 segment selectors,
// ST0-ST7 as 80-bit extended values and the 8 x87 control registers, each 32 bits), then our
// own "org.hypertab.i386.system" feature with CR0, CR2, CR3, CR4 and the six segment bases from
// the descriptor caches (cs_base..gs_base: gdb's addresses are offsets, breakpoints and memory
// packets are linear, base + offset), then gdb's "org.gnu.gdb.i386.sse" (XMM0-XMM7, MXCSR). The
// target description XML is generated from the same table.

import type { CPU } from "../cpu/cpu.ts";
import { X87 } from "../cpu/fpu/x87.ts";
import { Simd } from "../cpu/simd/simd.ts";
import { CS, DS, ES, FS, GS, SS } from "../cpu/constants.ts";

interface RegisterDef {
  name: string;
  bits: 32 | 80 | 128;
  type: string;
  group?: "float" | "system" | "vector";
  feature: "core" | "system" | "sse";
}

const gpr = (name: string, type = "int32"): RegisterDef => ({ name, bits: 32, type, feature: "core" });
const fpuControl = (name: string): RegisterDef => ({ name, bits: 32, type: "int", group: "float", feature: "core" });
const control = (name: string): RegisterDef => ({ name, bits: 32, type: "int32", group: "system", feature: "system" });

export const REGISTERS: readonly RegisterDef[] = [
  gpr("eax"), gpr("ecx"), gpr("edx"), gpr("ebx"), gpr("esp", "data_ptr"), gpr("ebp", "data_ptr"), gpr("esi"), gpr("edi"),
  gpr("eip", "code_ptr"), gpr("eflags", "i386_eflags"),
  gpr("cs"), gpr("ss"), gpr("ds"), gpr("es"), gpr("fs"), gpr("gs"),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((i): RegisterDef => ({ name: `st${i}`, bits: 80, type: "i387_ext", feature: "core" })),
  ...["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"].map(fpuControl),
  ...["cr0", "cr2", "cr3", "cr4"].map(control),
  ...["cs_base", "ss_base", "ds_base", "es_base", "fs_base", "gs_base"].map(control),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((i): RegisterDef => ({ name: `xmm${i}`, bits: 128, type: "vec128", feature: "sse" })),
  { name: "mxcsr", bits: 32, type: "i386_mxcsr", group: "vector", feature: "sse" },
];

/** Register numbers the code below relies on. */
const EIP = 8, EFLAGS = 9, SEG0 = 10, ST0 = 16, FCTRL = 24, CR0 = 32, BASE0 = 36, XMM0 = 42, MXCSR = 50;
/** gdb's segment order (cs, ss, ds, es, fs, gs) as our segment indices. */
const SEGMENTS = [CS, SS, DS, ES, FS, GS];

/** Bytes of the whole `g` packet. */
export const G_PACKET_BYTES = REGISTERS.reduce((n, r) => n + r.bits / 8, 0);

const EFLAGS_FIELDS: [string, number][] = [
  ["CF", 0], ["", 1], ["PF", 2], ["AF", 4], ["ZF", 6], ["SF", 7], ["TF", 8], ["IF", 9], ["DF", 10], ["OF", 11],
  ["NT", 14], ["RF", 16], ["VM", 17], ["AC", 18], ["VIF", 19], ["VIP", 20], ["ID", 21],
];

const MXCSR_FIELDS: [string, number][] = [
  ["IE", 0], ["DE", 1], ["ZE", 2], ["OE", 3], ["UE", 4], ["PE", 5], ["DAZ", 6], ["IM", 7], ["DM", 8], ["ZM", 9],
  ["OM", 10], ["UM", 11], ["PM", 12], ["FZ", 15],
];

/** gdb's vec128 union of the lane views, as its own i386 SSE description spells it. */
const VECTOR_TYPES = [
  '<vector id="v4f" type="ieee_single" count="4"/>', '<vector id="v2d" type="ieee_double" count="2"/>',
  '<vector id="v16i8" type="int8" count="16"/>', '<vector id="v8i16" type="int16" count="8"/>',
  '<vector id="v4i32" type="int32" count="4"/>', '<vector id="v2i64" type="int64" count="2"/>',
  '<union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/>' +
    '<field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/>' +
    '<field name="uint128" type="uint128"/></union>',
];

const flagsXml = (id: string, fields: [string, number][]) =>
  `    <flags id="${id}" size="4">\n${fields.map(([name, bit]) => `      <field name="${name}" start="${bit}" end="${bit}"/>\n`).join("")}    </flags>\n`;

/** The target description (qXfer:features:read:target.xml). */
export function targetXml(): string {
  const reg = (r: RegisterDef, n: number) =>
    `    <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${n}"${r.group ? ` group="${r.group}"` : ""}/>\n`;
  const regs = { core: "", system: "", sse: "" };
  REGISTERS.forEach((r, n) => void (regs[r.feature] += reg(r, n)));
  const vectors = VECTOR_TYPES.map((t) => `    ${t}\n`).join("");
  return (
    `<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n  <architecture>i386</architecture>\n` +
    `  <feature name="org.gnu.gdb.i386.core">\n${flagsXml("i386_eflags", EFLAGS_FIELDS)}${regs.core}  </feature>\n` +
    `  <feature name="org.hypertab.i386.system">\n${regs.system}  </feature>\n` +
    `  <feature name="org.gnu.gdb.i386.sse">\n${vectors}${flagsXml("i386_mxcsr", MXCSR_FIELDS)}${regs.sse}  </feature>\n</target>\n`
  );
}

/** Register `n`'s value, little-endian, as gdb expects it; null for a number beyond the table. */
export function readRegister(c: CPU, n: number): Uint8Array | null {
  const def = REGISTERS[n];
  if (def === undefined) return null;
  const out = new Uint8Array(def.bits / 8);
  if (def.bits === 128) {
    if (c.simd instanceof Simd) out.set(new Uint8Array(c.simd.xmmBuffer, (n - XMM0) * 16, 16));
    return out;
  }
  if (def.bits === 80) {
    const x = c.x87 instanceof X87 ? c.x87 : null;
    if (x !== null) {
      const p = x.phys(n - ST0);
      put32(out, 0, x.sig32[2 * p]);
      put32(out, 4, x.sig32[2 * p + 1]);
      out[8] = x.se[p];
      out[9] = x.se[p] >> 8;
    }
    return out;
  }
  put32(out, 0, value32(c, n));
  return out;
}

function value32(c: CPU, n: number): number {
  if (n < 8) return c.r32[n];
  if (n === EIP) return c.eip;
  if (n === EFLAGS) return c.getEflags();
  if (n < ST0) return c.segSel[SEGMENTS[n - SEG0]];
  if (n === MXCSR) return c.simd instanceof Simd ? c.simd.mxcsr : 0;
  if (n >= BASE0) return c.segBase[SEGMENTS[n - BASE0]];
  if (n >= CR0) return [c.cr0, c.cr2, c.cr3, c.cr4][n - CR0];
  const x = c.x87 instanceof X87 ? c.x87 : null;
  if (x === null) return 0;
  switch (n - FCTRL) {
    case 0: return x.cw;
    case 1: return x.statusWord();
    case 2: return x.tagWord();
    case 3: return x.fcs;
    case 4: return x.fip;
    case 5: return x.fds;
    case 6: return x.fdp;
    default: return x.fop;
  }
}

/** Writes register `n` from gdb's little-endian bytes. The general registers, EIP and EFLAGS can
 *  be written; any other register only with its current value (changing a segment selector would
 *  need a descriptor load, the x87 and control registers are read-only here). False otherwise. */
export function writeRegister(c: CPU, n: number, bytes: Uint8Array): boolean {
  const def = REGISTERS[n];
  if (def === undefined || bytes.length !== def.bits / 8) return false;
  if (n > EFLAGS) {
    const now = readRegister(c, n)!;
    return now.every((b, i) => b === bytes[i]);
  }
  const v = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24);
  if (n < 8) c.r32[n] = v;
  else if (n === EIP) c.eip = v;
  else if (v !== c.getEflags()) c.setEflags(v);
  return true;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = v;
  out[at + 1] = v >> 8;
  out[at + 2] = v >> 16;
  out[at + 3] = v >> 24;
}
