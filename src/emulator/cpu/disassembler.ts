// Intel-syntax disassembler, spelled as GNU objdump (`objdump -d -M intel`) spells it, for 16- and
// 32-bit code. Every opcode fact (which opcodes exist, ModRM, groups, mandatory prefixes, x87
// forms, mnemonics, operand forms in SDM opcode-map notation) comes from the opcode table; this
// file only decodes prefixes, ModRM/SIB/displacements/immediates and formats the operands.
// Pure TS: the dashboard's debugger calls it in the browser.

import { OPCODE_ROWS, rowMatches, type OpcodeRow } from "./opcode-table.ts";

export interface DisassembleOptions {
  bits: 16 | 32;
}

export interface Disassembly {
  /** Bytes the instruction takes. */
  length: number;
  /** The line as objdump prints it, blanks normalised: "lock add DWORD PTR [ebx],eax". */
  text: string;
  mnemonic: string;
  operands: string[];
  /** Target of a relative branch (absolute), or null. */
  target: number | null;
  /** The opcode table's row (null for "(bad)": bytes the CPU model does not execute). */
  row: OpcodeRow | null;
}

const SEG_NAMES = ["es", "cs", "ss", "ds", "fs", "gs", "?", "?"];
const SEG_PREFIX: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };
const REG8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"];
const REG16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
const REG32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const BASE16 = ["bx+si", "bx+di", "bp+si", "bp+di", "si", "di", "bp", "bx"];
/** objdump's word for a memory operand of each size. */
const PTR: Record<number, string> = { 1: "BYTE", 2: "WORD", 4: "DWORD", 6: "FWORD", 8: "QWORD", 10: "TBYTE", 16: "XMMWORD" };
/** Longest instruction the CPU accepts. */
const MAX_LENGTH = 15;

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
const signedHex = (v: number) => (v < 0 ? `-0x${(-v).toString(16)}` : `+0x${v.toString(16)}`);

/** The decoding state of one instruction. */
class Decoding {
  pos: number;
  /** Prefix bytes in order. */
  prefixes: number[] = [];
  /** Indexes into `prefixes` of the ones an operand or the mnemonic consumed. */
  used = new Set<number>();
  /** The segment override (last segment prefix: index into SEG_NAMES, and its byte), or -1. */
  seg = -1;
  segByte = 0;
  opsize: 2 | 4;
  adsize: 2 | 4;
  /** The last F2/F3 prefix, or 0. */
  rep = 0;
  /** An FWAIT folded into this x87 instruction. */
  fwait = false;
  modrm = -1;
  target: number | null = null;
  memory: Memory | null = null;

  constructor(
    readonly read: (addr: number) => number,
    readonly start: number,
    readonly bits: 16 | 32,
  ) {
    this.pos = start;
    this.opsize = bits === 32 ? 4 : 2;
    this.adsize = this.opsize;
  }

  /** Marks the last prefix byte `b` (if any) as consumed. */
  use(b: number): void {
    const i = this.prefixes.lastIndexOf(b);
    if (i >= 0) this.used.add(i);
  }

  get length(): number {
    return this.pos - this.start;
  }

  byte(): number {
    if (this.length >= MAX_LENGTH) throw new TooLong();
    const v = this.read(this.pos >>> 0) & 0xff;
    this.pos++;
    return v;
  }
  peek(): number {
    return this.read(this.pos >>> 0) & 0xff;
  }
  imm(size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.byte() << (8 * i);
    return size === 4 ? v >>> 0 : v;
  }
  simm(size: number): number {
    const v = this.imm(size);
    return size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
  }
}

class TooLong extends Error {}

/** Disassembles the instruction at `addr`; `read` returns the byte at an address (any value is
 *  masked to 8 bits). Relative branch targets are absolute in the same address space as `addr`: in
 *  16-bit code pass the offset in CS (IP), since a 16-bit target wraps within its 64 KiB. Bytes that
 *  are no instruction of the table come back as "(bad)" of the prefixes' and opcode's length. */
export function disassemble(read: (addr: number) => number, addr: number, options: DisassembleOptions): Disassembly {
  if (options.bits !== 16 && options.bits !== 32) throw new RangeError(`disassemble: bits must be 16 or 32, not ${options.bits}`);
  const d = new Decoding(read, addr, options.bits);
  try {
    return decode(d);
  } catch (e) {
    if (!(e instanceof TooLong)) throw e;
    return bad(1);
  }
}

/** Bytes that are no instruction of the table: objdump's "(bad)", over the prefixes and opcode. */
function bad(length: number): Disassembly {
  return { length, text: "(bad)", mnemonic: "(bad)", operands: [], target: null, row: null };
}

/** The FWAIT at `d.pos` is followed by an x87 escape (D8-DF): right after it, or, when no prefix
 *  came before the FWAIT, after prefixes (objdump ends the instruction at an FWAIT between two
 *  groups of prefixes). */
function x87Follows(d: Decoding): boolean {
  let next = d.pos + 1;
  if (d.prefixes.length === 0) while (isPrefix(d.read(next >>> 0) & 0xff) && next - d.pos < MAX_LENGTH) next++;
  return (d.read(next >>> 0) & 0xf8) === 0xd8;
}

function isPrefix(b: number): boolean {
  return b in SEG_PREFIX || b === 0x66 || b === 0x67 || b === 0xf0 || b === 0xf2 || b === 0xf3;
}

/** The table's rows by opcode (0x000-0x1FF), built on first use. */
let rowsByOp: OpcodeRow[][] | null = null;
function rowsOf(op: number): OpcodeRow[] {
  if (!rowsByOp) {
    rowsByOp = Array.from({ length: 0x200 }, () => []);
    for (const row of OPCODE_ROWS) if (row.unit !== "prefix" && row.unit !== "escape") rowsByOp[row.op]!.push(row);
  }
  return rowsByOp[op]!;
}

function decode(d: Decoding): Disassembly {
  for (;;) {
    const b = d.peek();
    if (b === 0x9b && !d.fwait && x87Follows(d)) {
      // objdump folds FWAIT into a following x87 instruction (FWAIT FNSTSW is FSTSW)
      d.fwait = true;
      d.byte();
      continue;
    }
    if (b in SEG_PREFIX) {
      d.seg = SEG_PREFIX[b]!;
      d.segByte = b;
    } else if (b === 0x66) d.opsize = d.bits === 32 ? 2 : 4;
    else if (b === 0x67) d.adsize = d.bits === 32 ? 2 : 4;
    else if (b === 0xf2 || b === 0xf3) d.rep = b;
    else if (b !== 0xf0) break;
    d.prefixes.push(b);
    d.byte();
  }
  let op = d.byte();
  if (op === 0x0f) op = 0x100 | d.byte();
  const rows = rowsOf(op);
  if (rows.length === 0) return bad(d.length);
  if (rows.some((r) => r.modrm)) d.modrm = d.peek();
  // a SIMD opcode's mandatory prefix: the last of F2/F3, else 66 (objdump and the CPU agree)
  const simd = rows.some((r) => r.prefix >= 0);
  const mandatory = simd ? d.rep || (d.prefixes.includes(0x66) ? 0x66 : 0) : -1;
  const row = rows.find((r) => rowMatches(r, d.modrm, mandatory));
  if (!row) return bad(d.length);
  if (d.modrm >= 0) d.byte();
  if (row.prefix === 0x66) {
    d.use(0x66);
    d.opsize = d.bits === 32 ? 4 : 2;
  } else if (row.prefix > 0) d.use(row.prefix);
  return format(d, row);
}

/** objdump spells these with a "w"/"d" suffix when a 66 prefix makes the operand size not the
 *  mode's (for the operand forms listed; null: every form), or always (SIZE_SUFFIX_ALWAYS). */
const SIZE_SUFFIX_WHEN_PREFIXED: Record<string, string[] | null> = {
  pusha: null, popa: null, pushf: null, popf: null, iret: null, ret: null, retf: null, enter: null, leave: null,
  fldenv: null, fnstenv: null, frstor: null, fnsave: null,
  call: ["Jz"], jmp: ["Jz"], push: ["Iz", "Ibs", "ES", "CS", "SS", "DS", "FS", "GS"], pop: ["ES", "SS", "DS", "FS", "GS"],
};
const SIZE_SUFFIX_ALWAYS = new Set(["sgdt", "sidt", "lgdt", "lidt"]);
/** objdump's names of the CMPPS/CMPPD/CMPSS/CMPSD predicates 0-7 (the immediate then goes). */
const CMP_PREDICATES = ["eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord"];
/** x87 control instructions that have a waiting form (FWAIT + FNSTSW is FSTSW). */
const WAIT_FORMS = new Set(["fnstsw", "fnstcw", "fnstenv", "fnsave", "fnclex", "fninit"]);
/** String instructions: F3 is "rep" except for the comparing ones ("repz"). */
const REP_STRING = new Set(["movs", "stos", "lods", "ins", "outs"]);
/** Near branches that take MPX's BND prefix (not LOOP/JECXZ). */
const BND_BRANCH = /^(call|jmp|ret|j(?!ecxz)[a-z]+)$/;

/** The operands in order, then the prefix words objdump prints before the mnemonic. */
function format(d: Decoding, row: OpcodeRow): Disassembly {
  const specs = row.operands === "" ? [] : row.operands.split(",");
  // 3E on an indirect near JMP/CALL is CET's NOTRACK to objdump: then no segment applies, and the
  // last segment prefix's place shows "notrack"
  let notrack = -1;
  if (row.op === 0xff && (row.reg === 2 || row.reg === 4) && d.prefixes.includes(0x3e)) {
    notrack = d.prefixes.lastIndexOf(d.segByte);
    d.seg = -1;
    d.used.add(notrack);
  }
  const ops: string[] = [];
  const mem = d.modrm >= 0 && d.modrm >> 6 !== 3;
  for (const spec of specs) ops.push(operand(d, row, spec, mem));
  // FWAIT folded in: the waiting form (FNSTSW → FSTSW)
  let mnemonic = d.fwait && WAIT_FORMS.has(row.mnemonic) ? "f" + row.mnemonic.slice(2) : row.mnemonic;
  const has66 = d.prefixes.includes(0x66);
  const suffixForms = SIZE_SUFFIX_WHEN_PREFIXED[row.mnemonic];
  const suffix = d.opsize === 2 ? "w" : "d";
  if (SIZE_SUFFIX_ALWAYS.has(row.mnemonic)) {
    mnemonic += suffix;
    d.use(0x66);
  } else if (suffixForms !== undefined && (suffixForms === null || suffixForms.includes(row.operands))) {
    if (has66) {
      mnemonic += suffix;
      d.use(0x66);
    }
  } else if (row.mnemonic16 && d.opsize === 2) mnemonic = row.mnemonic16;
  if (mnemonic === "jecxz") {
    // the counter is CX or ECX by address size
    if (d.adsize === 2) mnemonic = "jcxz";
    d.use(0x67);
  }
  if (mnemonic === "xlat") ops.push(xlatOperand(d));
  if (row.op === 0x90 && d.rep === 0xf3 && !has66) {
    mnemonic = "pause";
    d.use(0xf3);
  } else if (row.op === 0x90 && has66) {
    // 66 90 is XCHG AX,AX (or EAX,EAX in 16-bit code) to objdump, not a NOP
    mnemonic = "xchg";
    ops.push(regName(d.opsize, 0), regName(d.opsize, 0));
    d.use(0x66);
  }
  if (row.op === 0x1c2 && specs.length === 3) {
    const imm = parseInt(ops[2]!, 16);
    if (imm < 8) {
      mnemonic = `cmp${CMP_PREDICATES[imm]}${mnemonic.slice(3)}`;
      ops.pop();
    }
  }
  if (row.operandSize === "v" && has66 && specs.length === 0) d.use(0x66);
  const words: string[] = [];
  d.prefixes.forEach((p, i) => {
    if (i === notrack) words.push("notrack");
    else if (!d.used.has(i)) words.push(prefixWord(d, row, p, i === d.prefixes.lastIndexOf(p)));
  });
  const text = [...words, mnemonic].join(" ") + (ops.length ? " " + ops.join(",") : "");
  return { length: d.length, text, mnemonic, operands: ops, target: d.target, row };
}

/** XLAT's implicit table operand, which objdump shows: BYTE PTR ds:[ebx]. */
function xlatOperand(d: Decoding): string {
  d.use(0x67);
  if (d.seg >= 0) d.use(d.segByte);
  return `BYTE PTR ${d.seg >= 0 ? SEG_NAMES[d.seg] : "ds"}:[${d.adsize === 2 ? "bx" : "ebx"}]`;
}

/** The word objdump prints for an unused prefix byte `p` (`last`: no later prefix repeats it). */
function prefixWord(d: Decoding, row: OpcodeRow, p: number, last: boolean): string {
  if (p in SEG_PREFIX) return SEG_NAMES[SEG_PREFIX[p]!]!;
  switch (p) {
    case 0x66:
      return d.bits === 32 ? "data16" : "data32";
    case 0x67:
      return d.bits === 32 ? "addr16" : "addr32";
    case 0xf0:
      return "lock";
  }
  // F2/F3 on a memory-writing form that supports hardware lock elision are XACQUIRE/XRELEASE:
  // with LOCK on a lockable form, on XCHG, and (F3 only) on MOV to memory
  if (last && d.modrm >= 0 && d.modrm >> 6 !== 3) {
    if ((row.lock && d.prefixes.includes(0xf0)) || row.op === 0x86 || row.op === 0x87) return p === 0xf2 ? "xacquire" : "xrelease";
    if (p === 0xf3 && (row.op === 0x88 || row.op === 0x89 || row.op === 0xc6 || row.op === 0xc7)) return "xrelease";
  }
  if (p === 0xf3) return REP_STRING.has(row.mnemonic) ? "rep" : "repz";
  // F2 on a near branch is MPX's BND prefix to objdump
  return last && BND_BRANCH.test(row.mnemonic) && /^(Jb|Jz|Iw|Ev)?$/.test(row.operands) ? "bnd" : "repnz";
}

interface Memory {
  /** "[ebx+esi*4+0x10]" or "0x1234" (displacement only, printed after a segment). */
  address: string;
  displacementOnly: boolean;
}

/** The ModRM memory operand, decoded (SIB, displacement) when an operand first needs it: forms
 *  that only take a register from ModRM.rm (MOV CRn) have no displacement whatever mod says. */
function memoryOf(d: Decoding): Memory {
  d.memory ??= decodeMemory(d);
  return d.memory;
}

function decodeMemory(d: Decoding): Memory {
  const mod = d.modrm >> 6;
  const rm = d.modrm & 7;
  if (d.adsize === 2) {
    d.use(0x67);
    if (mod === 0 && rm === 6) return { address: hex(d.imm(2)), displacementOnly: true };
    const disp = mod === 1 ? d.simm(1) : mod === 2 ? d.simm(2) : null;
    return { address: `[${BASE16[rm]}${disp === null ? "" : signedHex(disp)}]`, displacementOnly: false };
  }
  const a32 = d.prefixes.includes(0x67);
  if (rm !== 4) {
    if (mod === 0 && rm === 5) return { address: hex(d.imm(4)), displacementOnly: true };
    if (a32) d.use(0x67);
    const disp = mod === 1 ? d.simm(1) : mod === 2 ? d.simm(4) : null;
    return { address: `[${REG32[rm]}${disp === null ? "" : signedHex(disp)}]`, displacementOnly: false };
  }
  const sib = d.byte();
  const scale = sib >> 6;
  const index = (sib >> 3) & 7;
  const base = sib & 7;
  const hasBase = !(base === 5 && mod === 0);
  const disp = mod === 1 ? d.simm(1) : mod === 2 || !hasBase ? d.simm(4) : null;
  // objdump names a missing index "eiz" where [disp32] alone would read as the SIB-less form
  // (32-bit code), with a scale, or beside a base other than esp
  const needIndex = !hasBase && index === 4 && d.bits === 32;
  const showIndex = index !== 4 || needIndex || scale !== 0 || (hasBase && base !== 4);
  if (!hasBase && !showIndex) return { address: hex(disp! >>> 0), displacementOnly: true };
  // the 67 prefix counts as used only when a register takes part; else objdump says addr32
  if (a32 && (hasBase || index !== 4 || needIndex)) d.use(0x67);
  let a = hasBase ? REG32[base]! : "";
  if (showIndex) a += `${a ? "+" : ""}${index === 4 ? "eiz" : REG32[index]}*${1 << scale}`;
  if (disp !== null) a += signedHex(disp);
  return { address: `[${a}]`, displacementOnly: false };
}

function memoryOperand(d: Decoding, m: Memory, size: number | null): string {
  let seg = "";
  if (d.seg >= 0) {
    seg = SEG_NAMES[d.seg] + ":";
    d.use(d.segByte);
  } else if (m.displacementOnly) seg = "ds:";
  const ptr = size !== null && PTR[size] ? `${PTR[size]} PTR ` : "";
  return ptr + seg + m.address;
}

/** Bytes of a memory operand of SDM type `type` (null: objdump shows no size). */
function typeSize(d: Decoding, type: string): number | null {
  switch (type) {
    case "b":
      return 1;
    case "w":
    case "16int":
    case "2byte":
      return 2;
    case "d":
    case "ss":
    case "si":
    case "y":
    case "32fp":
    case "32int":
      return 4;
    case "q":
    case "sd":
    case "pi":
    case "64fp":
    case "64int":
      return 8;
    case "80fp":
    case "80bcd":
      return 10;
    case "dq":
    case "ps":
    case "pd":
    case "x":
      return 16;
    case "v":
    case "z":
      return d.opsize;
    case "p":
      return d.opsize + 2;
    case "a":
      return d.opsize * 2;
  }
  return null;
}

function regName(size: number, n: number): string {
  return size === 1 ? REG8[n]! : size === 2 ? REG16[n]! : REG32[n]!;
}

/** Operand types whose size the 66 prefix chooses. */
const SIZED_BY_PREFIX = new Set(["v", "z", "p", "a"]);

function operand(d: Decoding, row: OpcodeRow, form: string, mem: boolean): string {
  // "Rd/Mw": a register form and a memory form
  const spec = /^[A-Z]\w*\/[A-Z]/.test(form) ? form.split("/")[mem ? 1 : 0]! : form;
  const method = spec[0]!;
  const type = spec.slice(1);
  if (SIZED_BY_PREFIX.has(type) && method !== "J") d.use(0x66);
  const reg = (d.modrm >> 3) & 7;
  const rm = d.modrm & 7;
  if (/^[a-z]/.test(type) || /^\d/.test(type) || (type === "" && method === "M")) {
    switch (method) {
      case "R":
        // a register whatever ModRM.mod says (MOV to/from CRn/DRn ignores it)
        return regName(typeSize(d, type) ?? d.opsize, rm);
      case "E":
      case "M":
      case "Q":
      case "W":
      case "N":
      case "U":
        if (mem) return memoryOperand(d, memoryOf(d), typeSize(d, type));
        if (method === "Q" || method === "N") return `mm${rm}`;
        if (method === "W" || method === "U") return `xmm${rm}`;
        return regName(typeSize(d, type) ?? d.opsize, rm);
      case "m":
        return memoryOperand(d, memoryOf(d), typeSize(d, type));
      case "G":
        return regName(typeSize(d, type) ?? d.opsize, reg);
      case "P":
        return `mm${reg}`;
      case "V":
        return `xmm${reg}`;
      case "S":
        return SEG_NAMES[reg]!;
      case "C":
        // LOCK MOV CRn is AMD's encoding of CR8-CR15 to objdump
        if (d.prefixes.includes(0xf0)) {
          d.use(0xf0);
          return `cr${reg + 8}`;
        }
        return `cr${reg}`;
      case "D":
        return `dr${reg}`;
      case "I": {
        if (type === "bs") {
          const v = d.simm(1);
          return hex(d.opsize === 2 ? v & 0xffff : v);
        }
        return hex(d.imm(type === "z" || type === "v" ? Math.min(d.opsize, 4) : (typeSize(d, type) ?? 1)));
      }
      case "J": {
        if (type === "b") {
          const disp = d.simm(1);
          d.target = (d.pos + disp) >>> 0;
        } else {
          d.use(0x66);
          const disp = d.simm(d.opsize);
          // a 16-bit target wraps within its 64 KiB (objdump: in 32-bit code a 66-prefixed one
          // wraps to the first 64 KiB)
          const segment = d.bits === 16 ? d.pos & ~0xffff : 0;
          d.target = d.opsize === 2 ? (((d.pos + disp) & 0xffff) | segment) >>> 0 : (d.pos + disp) >>> 0;
        }
        return hex(d.target);
      }
      case "O": {
        // objdump keeps showing a 67 prefix on a moffs operand (addr16/addr32)
        return memoryOperand(d, { address: hex(d.imm(d.adsize)), displacementOnly: true }, null);
      }
      case "A": {
        const off = d.imm(d.opsize);
        const sel = d.imm(2);
        return `${hex(sel)}:${hex(off)}`;
      }
      case "X":
      case "Y": {
        d.use(0x67);
        const r = method === "X" ? (d.adsize === 2 ? "si" : "esi") : d.adsize === 2 ? "di" : "edi";
        let seg = "es";
        if (method === "X") {
          seg = d.seg >= 0 ? SEG_NAMES[d.seg]! : "ds";
          if (d.seg >= 0) d.use(d.segByte);
        }
        return `${PTR[typeSize(d, type)!]} PTR ${seg}:[${r}]`;
      }
    }
  }
  // fixed registers and constants: "AL", "eAX", "DX", "CL", "1", "ES", "ST(0)", "ST(i)"
  if (/^e[A-Z]{2}$/.test(spec)) {
    d.use(0x66);
    return regName(d.opsize, REG32.indexOf(spec.toLowerCase()));
  }
  if (spec === "ST(0)") return "st";
  if (spec === "ST(i)") return `st(${rm})`;
  const lower = spec.toLowerCase();
  if (REG8.includes(lower) || REG16.includes(lower) || REG32.includes(lower) || SEG_NAMES.includes(lower)) return lower;
  if (/^\d$/.test(spec)) return spec;
  throw new Error(`disassembler: operand form "${spec}" of ${row.mnemonic} is not known`);
}
