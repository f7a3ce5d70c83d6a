// The opcode table: every x86 opcode this CPU model (P6 family with MMX, SSE, SSE2; no SSE3, no
// VMX) executes, written once, with the facts that the interpreter's dispatch, the JIT's decoder and
// block rules, the LOCK check, the SIMD dispatch, the differential suite's generator and the
// disassembler all read (`opcode-index.ts` turns them into typed arrays once, at module load).
//
// Schema. One `OpcodeRow` per opcode, or per member where an opcode's members differ:
//   op       0x000-0x0FF one-byte map, 0x100-0x1FF the 0F map (0x100 + second byte).
//   reg      ModRM.reg of a group member (80-83, C0/C1, D0-D3, F6/F7, FE/FF, 0F 00/01/18/71-73/AE/BA/C7,
//            and the x87 escapes D8-DF), or -1 when the row holds for every reg.
//   rm       ModRM.rm for rows of one single register form (x87 D9 E0 FCHS, DB E2 FNCLEX, the fences'
//            register forms are all rm so they stay -1), or -1.
//   mod      "mem": the row only holds for a memory operand (mod != 3); "reg": only for mod == 3;
//            "any": both. A form without a row is #UD.
//   prefix   SIMD rows: the mandatory prefix selecting the row, 0 (none), 0x66, 0xF3 or 0xF2 (the last
//            of F2/F3 wins over 66); -1 for every other row (66 is then the operand-size prefix).
//   mnemonic Intel/objdump mnemonic, lower case; mnemonic16 the one with a 16-bit operand size when
//            it differs (cwde/cbw, pusha/pushaw), else null.
//   operands Operand forms in Intel SDM opcode-map notation (vol. 2, appendix A), comma separated, ""
//            for none: addressing method + operand type ("Eb", "Gv", "Iz", "Jb", "M", "Mp", "Ob",
//            "Sw", "Cd", "Vps", "Wss", "Pq", "Qq", "Nq", "Udq", "Ry/Mw"), registers in upper case
//            ("AL", "DX", "CL", "ES", "eAX" = AX or EAX by operand size), "1" for the shift count,
//            "Ibs" an 8-bit immediate sign-extended to the operand size (83, 6A, 6B),
//            string operands "Xb" (DS:eSI) and "Yb" (ES:eDI), x87 "ST(0)", "ST(i)", "m32fp",
//            "m64fp", "m80fp", "m16int", "m32int", "m64int", "m80bcd", "m2byte", "m14/28byte",
//            "m94/108byte", "m512byte".
//   modrm    a ModRM byte follows the opcode (derived from the operand forms and the row's kind).
//   imm      immediates after ModRM/SIB/displacement, in order: "b" 8 bits, "w" 16 bits, "z" 16 or
//            32 bits by operand size, "o" a memory offset of 16 or 32 bits by address size (moffs).
//            A far pointer (Ap) is ["z", "w"], ENTER is ["w", "b"]; Jb/Jz are "b"/"z" (relative).
//   operandSize "v": the operand size (66 prefix) changes what it does; "fixed": it does not.
//   addressSize the address size (67 prefix) matters beyond ModRM: string operands, moffs, XLAT,
//            LOOP/JECXZ (counter register).
//   lock     LOCK is legal (with a memory destination only; any other use is #UD).
//   unit     who executes it / its class: "integer", "system" (privileged or mode/segment/table
//            state), "x87", "mmx", "sse", "sse2" (the SIMD unit, except MOVNTI which the core runs
//            as "integer"), "prefix" (legacy prefixes), "escape" (0F).
//   flagsRead / flagsWritten / flagsUndefined: EFLAGS bit masks (see the F_* constants). Written
//            includes undefined; a shift or rotate writes only for a non-zero masked count, and some
//            flags are defined only for a count of 1 (marked undefined here).
//   jit      "continue": a compiled block may hand it to the interpreter and go on after it (it
//            changes neither EIP beyond itself, nor modes, segments, paging or interrupt state);
//            "ends": the block ends after it.

export type Unit = "integer" | "system" | "x87" | "mmx" | "sse" | "sse2" | "prefix" | "escape";
export type ImmKind = "b" | "w" | "z" | "o";
export type ModForm = "any" | "mem" | "reg";
export type JitRule = "continue" | "ends";

export interface OpcodeRow {
  readonly op: number;
  readonly reg: number;
  readonly rm: number;
  readonly mod: ModForm;
  readonly prefix: number;
  readonly mnemonic: string;
  readonly mnemonic16: string | null;
  readonly operands: string;
  readonly modrm: boolean;
  readonly imm: readonly ImmKind[];
  readonly operandSize: "fixed" | "v";
  readonly addressSize: boolean;
  readonly lock: boolean;
  readonly unit: Unit;
  readonly flagsRead: number;
  readonly flagsWritten: number;
  readonly flagsUndefined: number;
  readonly jit: JitRule;
}

export const F_CF = 0x1, F_PF = 0x4, F_AF = 0x10, F_ZF = 0x40, F_SF = 0x80, F_TF = 0x100, F_IF = 0x200;
export const F_DF = 0x400, F_OF = 0x800, F_NT = 0x4000, F_RF = 0x10000, F_VM = 0x20000, F_AC = 0x40000;
/** The six status flags. */
export const F_ARITH = F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF;
/** Everything POPF/IRET/a task switch may change (IOPL, VIF, VIP, ID included). */
export const F_ALL = 0x3f7fd5;

interface Opts {
  reg?: number;
  rm?: number;
  mod?: ModForm;
  prefix?: number;
  m16?: string;
  /** flags read / written / undefined */
  r?: number;
  w?: number;
  u?: number;
  lock?: boolean;
  unit?: Unit;
  ends?: boolean;
  asize?: boolean;
  osize?: "fixed" | "v";
  modrm?: boolean;
}

const rows: OpcodeRow[] = [];

const isModrmOperand = (t: string) => /^[EGMRCDSPQVWNUT][a-z]*$/.test(t);

function immOf(operands: string): ImmKind[] {
  const out: ImmKind[] = [];
  for (const t of operands.split(",")) {
    if (t === "Ib" || t === "Ibs" || t === "Jb") out.push("b");
    else if (t === "Iw") out.push("w");
    else if (t === "Iz" || t === "Iv" || t === "Jz") out.push("z");
    else if (t === "Ob" || t === "Ov") out.push("o");
    else if (t === "Ap") out.push("z", "w");
  }
  return out;
}

function add(op: number, mnemonic: string, operands: string, o: Opts = {}): void {
  const tokens = operands === "" ? [] : operands.split(/[,/]/);
  const unit = o.unit ?? "integer";
  const modrm = o.modrm ?? (tokens.some(isModrmOperand) || (o.reg ?? -1) >= 0 || unit === "x87" && op >= 0xd8 && op <= 0xdf);
  const v = tokens.some((t) => /^[A-Z][a-z]*[vz]$|^e[A-Z][A-Z]$|^[MA]p$/.test(t)) || o.m16 !== undefined;
  rows.push({
    op, reg: o.reg ?? -1, rm: o.rm ?? -1, mod: o.mod ?? (o.rm !== undefined ? "reg" : "any"), prefix: o.prefix ?? -1,
    mnemonic, mnemonic16: o.m16 ?? null, operands, modrm, imm: immOf(operands),
    operandSize: o.osize ?? (v ? "v" : "fixed"),
    addressSize: o.asize ?? tokens.some((t) => /^[XYO][a-z]+$/.test(t)),
    lock: o.lock ?? false, unit, flagsRead: o.r ?? 0, flagsWritten: o.w ?? 0, flagsUndefined: o.u ?? 0,
    jit: o.ends ? "ends" : "continue",
  });
}

const ends = { ends: true } as const;
const sys = { unit: "system", ends: true } as const;
const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
/** Flags read by condition code n. */
const CC_READS = [F_OF, F_OF, F_CF, F_CF, F_ZF, F_ZF, F_CF | F_ZF, F_CF | F_ZF, F_SF, F_SF, F_PF, F_PF, F_SF | F_OF, F_SF | F_OF,
  F_ZF | F_SF | F_OF, F_ZF | F_SF | F_OF];
const R32 = ["eAX", "eCX", "eDX", "eBX", "eSP", "eBP", "eSI", "eDI"];
const R8 = ["AL", "CL", "DL", "BL", "AH", "CH", "DH", "BH"];

// ---- One-byte map -------------------------------------------------------------------------------

const ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"];
/** Flags of ALU operation n (add..cmp): [read, written, undefined]. */
function aluFlags(n: number): { r: number; w: number; u: number } {
  const logic = n === 1 || n === 4 || n === 6;
  return { r: n === 2 || n === 3 ? F_CF : 0, w: F_ARITH, u: logic ? F_AF : 0 };
}
for (let n = 0; n < 8; n++) {
  const b = n << 3;
  const f = aluFlags(n);
  const lock = n !== 7;
  add(b, ALU[n]!, "Eb,Gb", { ...f, lock });
  add(b + 1, ALU[n]!, "Ev,Gv", { ...f, lock });
  add(b + 2, ALU[n]!, "Gb,Eb", f);
  add(b + 3, ALU[n]!, "Gv,Ev", f);
  add(b + 4, ALU[n]!, "AL,Ib", f);
  add(b + 5, ALU[n]!, "eAX,Iz", f);
}
const SEG = ["ES", "CS", "SS", "DS"];
for (let s = 0; s < 4; s++) {
  add(s * 8 + 6, "push", SEG[s]!, { osize: "v" });
  if (s !== 1) add(s * 8 + 7, "pop", SEG[s]!, { osize: "v", ...sys, unit: "integer" });
}
add(0x26, "es", "", { unit: "prefix" });
add(0x2e, "cs", "", { unit: "prefix" });
add(0x36, "ss", "", { unit: "prefix" });
add(0x3e, "ds", "", { unit: "prefix" });
add(0x0f, "", "", { unit: "escape" });
add(0x27, "daa", "", { r: F_CF | F_AF, w: F_ARITH, u: F_OF });
add(0x2f, "das", "", { r: F_CF | F_AF, w: F_ARITH, u: F_OF });
add(0x37, "aaa", "", { r: F_AF, w: F_ARITH, u: F_OF | F_SF | F_ZF | F_PF });
add(0x3f, "aas", "", { r: F_AF, w: F_ARITH, u: F_OF | F_SF | F_ZF | F_PF });
for (let r = 0; r < 8; r++) {
  add(0x40 + r, "inc", R32[r]!, { w: F_ARITH & ~F_CF });
  add(0x48 + r, "dec", R32[r]!, { w: F_ARITH & ~F_CF });
  add(0x50 + r, "push", R32[r]!);
  add(0x58 + r, "pop", R32[r]!);
}
add(0x60, "pusha", "", { m16: "pushaw" });
add(0x61, "popa", "", { m16: "popaw" });
add(0x62, "bound", "Gv,Ma", { mod: "mem" });
add(0x63, "arpl", "Ew,Gw", { w: F_ZF, unit: "system" });
add(0x64, "fs", "", { unit: "prefix" });
add(0x65, "gs", "", { unit: "prefix" });
add(0x66, "data16", "", { unit: "prefix" });
add(0x67, "addr16", "", { unit: "prefix" });
add(0x68, "push", "Iz");
add(0x69, "imul", "Gv,Ev,Iz", { w: F_ARITH, u: F_SF | F_ZF | F_AF | F_PF });
add(0x6a, "push", "Ibs", { osize: "v" });
add(0x6b, "imul", "Gv,Ev,Ibs", { w: F_ARITH, u: F_SF | F_ZF | F_AF | F_PF });
add(0x6c, "ins", "Yb,DX", { r: F_DF, ...ends });
add(0x6d, "ins", "Yz,DX", { r: F_DF, ...ends });
add(0x6e, "outs", "DX,Xb", { r: F_DF, ...ends });
add(0x6f, "outs", "DX,Xz", { r: F_DF, ...ends });
for (let n = 0; n < 16; n++) add(0x70 + n, `j${CC[n]}`, "Jb", { r: CC_READS[n], ...ends });
for (let n = 0; n < 8; n++) {
  const f = aluFlags(n);
  const lock = n !== 7;
  add(0x80, ALU[n]!, "Eb,Ib", { reg: n, ...f, lock });
  add(0x81, ALU[n]!, "Ev,Iz", { reg: n, ...f, lock });
  add(0x82, ALU[n]!, "Eb,Ib", { reg: n, ...f, lock });
  add(0x83, ALU[n]!, "Ev,Ibs", { reg: n, ...f, lock });
}
add(0x84, "test", "Eb,Gb", { w: F_ARITH, u: F_AF });
add(0x85, "test", "Ev,Gv", { w: F_ARITH, u: F_AF });
add(0x86, "xchg", "Eb,Gb", { lock: true });
add(0x87, "xchg", "Ev,Gv", { lock: true });
add(0x88, "mov", "Eb,Gb");
add(0x89, "mov", "Ev,Gv");
add(0x8a, "mov", "Gb,Eb");
add(0x8b, "mov", "Gv,Ev");
add(0x8c, "mov", "Rv/Mw,Sw");
add(0x8d, "lea", "Gv,M", { mod: "mem" });
add(0x8e, "mov", "Sw,Rv/Mw", { ...sys, unit: "integer", osize: "fixed" });
add(0x8f, "pop", "Ev", { reg: 0 });
add(0x90, "nop", "", { prefix: -1 });
for (let r = 1; r < 8; r++) add(0x90 + r, "xchg", `${R32[r]},eAX`);
add(0x98, "cwde", "", { m16: "cbw" });
add(0x99, "cdq", "", { m16: "cwd" });
add(0x9a, "call", "Ap", ends);
add(0x9b, "fwait", "", { unit: "x87" });
add(0x9c, "pushf", "", { m16: "pushfw", r: F_ALL });
add(0x9d, "popf", "", { m16: "popfw", w: F_ALL, ...ends });
add(0x9e, "sahf", "", { w: F_SF | F_ZF | F_AF | F_PF | F_CF });
add(0x9f, "lahf", "", { r: F_SF | F_ZF | F_AF | F_PF | F_CF });
add(0xa0, "mov", "AL,Ob");
add(0xa1, "mov", "eAX,Ov");
add(0xa2, "mov", "Ob,AL");
add(0xa3, "mov", "Ov,eAX");
add(0xa4, "movs", "Yb,Xb", { r: F_DF });
add(0xa5, "movs", "Yv,Xv", { r: F_DF });
add(0xa6, "cmps", "Xb,Yb", { r: F_DF, w: F_ARITH });
add(0xa7, "cmps", "Xv,Yv", { r: F_DF, w: F_ARITH });
add(0xa8, "test", "AL,Ib", { w: F_ARITH, u: F_AF });
add(0xa9, "test", "eAX,Iz", { w: F_ARITH, u: F_AF });
add(0xaa, "stos", "Yb,AL", { r: F_DF });
add(0xab, "stos", "Yv,eAX", { r: F_DF });
add(0xac, "lods", "AL,Xb", { r: F_DF });
add(0xad, "lods", "eAX,Xv", { r: F_DF });
add(0xae, "scas", "AL,Yb", { r: F_DF, w: F_ARITH });
add(0xaf, "scas", "eAX,Yv", { r: F_DF, w: F_ARITH });
for (let r = 0; r < 8; r++) {
  add(0xb0 + r, "mov", `${R8[r]},Ib`);
  add(0xb8 + r, "mov", `${R32[r]},Iv`);
}
const SHIFT = ["rol", "ror", "rcl", "rcr", "shl", "shr", "shl", "sar"];
/** Flags of shift/rotate n: OF is defined only for a count of 1 (`one`). */
function shiftFlags(n: number, one: boolean): { r: number; w: number; u: number } {
  if (n < 4) return { r: n >= 2 ? F_CF : 0, w: F_CF | F_OF, u: one ? 0 : F_OF };
  return { r: 0, w: F_ARITH, u: F_AF | (one ? 0 : F_OF) };
}
for (let n = 0; n < 8; n++) {
  add(0xc0, SHIFT[n]!, "Eb,Ib", { reg: n, ...shiftFlags(n, false) });
  add(0xc1, SHIFT[n]!, "Ev,Ib", { reg: n, ...shiftFlags(n, false) });
  add(0xd0, SHIFT[n]!, "Eb,1", { reg: n, ...shiftFlags(n, true) });
  add(0xd1, SHIFT[n]!, "Ev,1", { reg: n, ...shiftFlags(n, true) });
  add(0xd2, SHIFT[n]!, "Eb,CL", { reg: n, ...shiftFlags(n, false) });
  add(0xd3, SHIFT[n]!, "Ev,CL", { reg: n, ...shiftFlags(n, false) });
}
add(0xc2, "ret", "Iw", { osize: "v", ...ends });
add(0xc3, "ret", "", { osize: "v", ...ends });
add(0xc4, "les", "Gz,Mp", { mod: "mem", ...ends });
add(0xc5, "lds", "Gz,Mp", { mod: "mem", ...ends });
add(0xc6, "mov", "Eb,Ib", { reg: 0 });
add(0xc7, "mov", "Ev,Iz", { reg: 0 });
add(0xc8, "enter", "Iw,Ib", { osize: "v" });
add(0xc9, "leave", "", { osize: "v" });
add(0xca, "retf", "Iw", { osize: "v", ...ends });
add(0xcb, "retf", "", { osize: "v", ...ends });
add(0xcc, "int3", "", { w: F_TF | F_IF | F_NT | F_RF | F_VM | F_AC, ...ends });
add(0xcd, "int", "Ib", { w: F_TF | F_IF | F_NT | F_RF | F_VM | F_AC, ...ends });
add(0xce, "into", "", { r: F_OF, w: F_TF | F_IF | F_NT | F_RF | F_VM | F_AC, ...ends });
add(0xcf, "iret", "", { m16: "iretw", w: F_ALL, ...ends });
add(0xd4, "aam", "Ib", { w: F_ARITH, u: F_OF | F_AF | F_CF });
add(0xd5, "aad", "Ib", { w: F_ARITH, u: F_OF | F_AF | F_CF });
add(0xd6, "salc", "", { r: F_CF });
add(0xd7, "xlat", "", { asize: true });
add(0xe0, "loopne", "Jb", { r: F_ZF, asize: true, ...ends });
add(0xe1, "loope", "Jb", { r: F_ZF, asize: true, ...ends });
add(0xe2, "loop", "Jb", { asize: true, ...ends });
add(0xe3, "jecxz", "Jb", { asize: true, ...ends });
add(0xe4, "in", "AL,Ib", ends);
add(0xe5, "in", "eAX,Ib", ends);
add(0xe6, "out", "Ib,AL", ends);
add(0xe7, "out", "Ib,eAX", ends);
add(0xe8, "call", "Jz", ends);
add(0xe9, "jmp", "Jz", ends);
add(0xea, "jmp", "Ap", ends);
add(0xeb, "jmp", "Jb", ends);
add(0xec, "in", "AL,DX", ends);
add(0xed, "in", "eAX,DX", ends);
add(0xee, "out", "DX,AL", ends);
add(0xef, "out", "DX,eAX", ends);
add(0xf0, "lock", "", { unit: "prefix" });
add(0xf1, "int1", "", { w: F_TF | F_IF | F_NT | F_RF | F_VM | F_AC, ...ends });
add(0xf2, "repnz", "", { unit: "prefix" });
add(0xf3, "repz", "", { unit: "prefix" });
add(0xf4, "hlt", "", sys);
add(0xf5, "cmc", "", { r: F_CF, w: F_CF });
const GRP3 = ["test", "test", "not", "neg", "mul", "imul", "div", "idiv"];
for (let n = 0; n < 8; n++) {
  const f = n < 2 ? { w: F_ARITH, u: F_AF } : n === 2 ? {} : n === 3 ? { w: F_ARITH } : n < 6 ? { w: F_ARITH, u: F_SF | F_ZF | F_AF | F_PF } : { w: F_ARITH, u: F_ARITH };
  const lock = n === 2 || n === 3;
  add(0xf6, GRP3[n]!, n < 2 ? "Eb,Ib" : "Eb", { reg: n, ...f, lock });
  add(0xf7, GRP3[n]!, n < 2 ? "Ev,Iz" : "Ev", { reg: n, ...f, lock });
}
add(0xf8, "clc", "", { w: F_CF });
add(0xf9, "stc", "", { w: F_CF });
add(0xfa, "cli", "", { w: F_IF, ...sys });
add(0xfb, "sti", "", { w: F_IF, ...sys });
add(0xfc, "cld", "", { w: F_DF });
add(0xfd, "std", "", { w: F_DF });
add(0xfe, "inc", "Eb", { reg: 0, w: F_ARITH & ~F_CF, lock: true });
add(0xfe, "dec", "Eb", { reg: 1, w: F_ARITH & ~F_CF, lock: true });
add(0xff, "inc", "Ev", { reg: 0, w: F_ARITH & ~F_CF, lock: true });
add(0xff, "dec", "Ev", { reg: 1, w: F_ARITH & ~F_CF, lock: true });
add(0xff, "call", "Ev", { reg: 2, ...ends });
add(0xff, "call", "Mp", { reg: 3, mod: "mem", ...ends });
add(0xff, "jmp", "Ev", { reg: 4, ...ends });
add(0xff, "jmp", "Mp", { reg: 5, mod: "mem", ...ends });
add(0xff, "push", "Ev", { reg: 6 });

// x87 escapes D8-DF: memory forms per reg, register forms per reg (and per rm where one byte is one
// instruction).
const x87 = { unit: "x87" } as const;
const ARITH87 = ["fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"];
for (let n = 0; n < 8; n++) {
  add(0xd8, ARITH87[n]!, "m32fp", { reg: n, mod: "mem", ...x87 });
  add(0xd8, ARITH87[n]!, n === 2 || n === 3 ? "ST(i)" : "ST(0),ST(i)", { reg: n, mod: "reg", ...x87 });
  add(0xda, `fi${ARITH87[n]!.slice(1)}`, "m32int", { reg: n, mod: "mem", ...x87 });
  add(0xdc, ARITH87[n]!, "m64fp", { reg: n, mod: "mem", ...x87 });
  add(0xde, `fi${ARITH87[n]!.slice(1)}`, "m16int", { reg: n, mod: "mem", ...x87 });
}
// DC/DE register forms: destination ST(i); SUB/SUBR and DIV/DIVR swap encodings (reg 4 is FSUBR).
const DC_REG = ["fadd", "fmul", "fcom2", "fcomp3", "fsubr", "fsub", "fdivr", "fdiv"];
for (let n = 0; n < 8; n++) {
  add(0xdc, DC_REG[n]!, n === 2 || n === 3 ? "ST(i)" : "ST(i),ST(0)", { reg: n, mod: "reg", ...x87 });
  if (n !== 3) add(0xde, n === 2 ? "fcomp5" : `${DC_REG[n]!}p`, n === 2 ? "ST(i)" : "ST(i),ST(0)", { reg: n, mod: "reg", ...x87 });
}
add(0xde, "fcompp", "", { reg: 3, rm: 1, ...x87 });
add(0xd9, "fld", "m32fp", { reg: 0, mod: "mem", ...x87 });
add(0xd9, "fst", "m32fp", { reg: 2, mod: "mem", ...x87 });
add(0xd9, "fstp", "m32fp", { reg: 3, mod: "mem", ...x87 });
add(0xd9, "fldenv", "m14/28byte", { reg: 4, mod: "mem", ...x87, osize: "v" });
add(0xd9, "fldcw", "m2byte", { reg: 5, mod: "mem", ...x87 });
add(0xd9, "fnstenv", "m14/28byte", { reg: 6, mod: "mem", ...x87, osize: "v" });
add(0xd9, "fnstcw", "m2byte", { reg: 7, mod: "mem", ...x87 });
add(0xd9, "fld", "ST(i)", { reg: 0, mod: "reg", ...x87 });
add(0xd9, "fxch", "ST(i)", { reg: 1, mod: "reg", ...x87 });
add(0xd9, "fnop", "", { reg: 2, rm: 0, ...x87 });
add(0xd9, "fstp1", "ST(i)", { reg: 3, mod: "reg", ...x87 });
const D9_RM: [number, number, string][] = [
  [4, 0, "fchs"], [4, 1, "fabs"], [4, 4, "ftst"], [4, 5, "fxam"],
  [5, 0, "fld1"], [5, 1, "fldl2t"], [5, 2, "fldl2e"], [5, 3, "fldpi"], [5, 4, "fldlg2"], [5, 5, "fldln2"], [5, 6, "fldz"],
  [6, 0, "f2xm1"], [6, 1, "fyl2x"], [6, 2, "fptan"], [6, 3, "fpatan"], [6, 4, "fxtract"], [6, 5, "fprem1"], [6, 6, "fdecstp"], [6, 7, "fincstp"],
  [7, 0, "fprem"], [7, 1, "fyl2xp1"], [7, 2, "fsqrt"], [7, 3, "fsincos"], [7, 4, "frndint"], [7, 5, "fscale"], [7, 6, "fsin"], [7, 7, "fcos"],
];
for (const [reg, rm, m] of D9_RM) add(0xd9, m, "", { reg, rm, ...x87 });
const FCMOV = ["b", "e", "be", "u"];
const FCMOV_READS = [F_CF, F_ZF, F_CF | F_ZF, F_PF];
for (let n = 0; n < 4; n++) {
  add(0xda, `fcmov${FCMOV[n]}`, "ST(0),ST(i)", { reg: n, mod: "reg", r: FCMOV_READS[n], ...x87 });
  add(0xdb, `fcmovn${FCMOV[n]}`, "ST(0),ST(i)", { reg: n, mod: "reg", r: FCMOV_READS[n], ...x87 });
}
add(0xda, "fucompp", "", { reg: 5, rm: 1, ...x87 });
add(0xdb, "fild", "m32int", { reg: 0, mod: "mem", ...x87 });
add(0xdb, "fist", "m32int", { reg: 2, mod: "mem", ...x87 });
add(0xdb, "fistp", "m32int", { reg: 3, mod: "mem", ...x87 });
add(0xdb, "fld", "m80fp", { reg: 5, mod: "mem", ...x87 });
add(0xdb, "fstp", "m80fp", { reg: 7, mod: "mem", ...x87 });
add(0xdb, "fneni", "", { reg: 4, rm: 0, ...x87 });
add(0xdb, "fndisi", "", { reg: 4, rm: 1, ...x87 });
add(0xdb, "fnclex", "", { reg: 4, rm: 2, ...x87 });
add(0xdb, "fninit", "", { reg: 4, rm: 3, ...x87 });
add(0xdb, "fnsetpm", "", { reg: 4, rm: 4, ...x87 });
add(0xdb, "fucomi", "ST(0),ST(i)", { reg: 5, mod: "reg", w: F_ARITH, ...x87 });
add(0xdb, "fcomi", "ST(0),ST(i)", { reg: 6, mod: "reg", w: F_ARITH, ...x87 });
add(0xdd, "fld", "m64fp", { reg: 0, mod: "mem", ...x87 });
add(0xdd, "fst", "m64fp", { reg: 2, mod: "mem", ...x87 });
add(0xdd, "fstp", "m64fp", { reg: 3, mod: "mem", ...x87 });
add(0xdd, "frstor", "m94/108byte", { reg: 4, mod: "mem", ...x87, osize: "v" });
add(0xdd, "fnsave", "m94/108byte", { reg: 6, mod: "mem", ...x87, osize: "v" });
add(0xdd, "fnstsw", "m2byte", { reg: 7, mod: "mem", ...x87 });
add(0xdd, "ffree", "ST(i)", { reg: 0, mod: "reg", ...x87 });
add(0xdd, "fxch4", "ST(i)", { reg: 1, mod: "reg", ...x87 });
add(0xdd, "fst", "ST(i)", { reg: 2, mod: "reg", ...x87 });
add(0xdd, "fstp", "ST(i)", { reg: 3, mod: "reg", ...x87 });
add(0xdd, "fucom", "ST(i)", { reg: 4, mod: "reg", ...x87 });
add(0xdd, "fucomp", "ST(i)", { reg: 5, mod: "reg", ...x87 });
add(0xdf, "fild", "m16int", { reg: 0, mod: "mem", ...x87 });
add(0xdf, "fist", "m16int", { reg: 2, mod: "mem", ...x87 });
add(0xdf, "fistp", "m16int", { reg: 3, mod: "mem", ...x87 });
add(0xdf, "fbld", "m80bcd", { reg: 4, mod: "mem", ...x87 });
add(0xdf, "fild", "m64int", { reg: 5, mod: "mem", ...x87 });
add(0xdf, "fbstp", "m80bcd", { reg: 6, mod: "mem", ...x87 });
add(0xdf, "fistp", "m64int", { reg: 7, mod: "mem", ...x87 });
add(0xdf, "ffreep", "ST(i)", { reg: 0, mod: "reg", ...x87 });
add(0xdf, "fxch7", "ST(i)", { reg: 1, mod: "reg", ...x87 });
add(0xdf, "fstp8", "ST(i)", { reg: 2, mod: "reg", ...x87 });
add(0xdf, "fstp9", "ST(i)", { reg: 3, mod: "reg", ...x87 });
add(0xdf, "fnstsw", "AX", { reg: 4, rm: 0, ...x87 });
add(0xdf, "fucomip", "ST(0),ST(i)", { reg: 5, mod: "reg", w: F_ARITH, ...x87 });
add(0xdf, "fcomip", "ST(0),ST(i)", { reg: 6, mod: "reg", w: F_ARITH, ...x87 });

// ---- 0F map -------------------------------------------------------------------------------------

const T = 0x100;
["sldt", "str", "lldt", "ltr", "verr", "verw"].forEach((m, n) =>
  add(T + 0x00, m, n < 2 ? "Rv/Mw" : "Ew", { reg: n, w: n >= 4 ? F_ZF : 0, ...sys, osize: n < 2 ? "v" : "fixed" }));
["sgdt", "sidt", "lgdt", "lidt"].forEach((m, n) => add(T + 0x01, m, "Ms", { reg: n, mod: "mem", ...sys }));
add(T + 0x01, "smsw", "Rv/Mw", { reg: 4, ...sys });
add(T + 0x01, "lmsw", "Ew", { reg: 6, ...sys });
add(T + 0x01, "invlpg", "Mb", { reg: 7, mod: "mem", ...sys });
add(T + 0x02, "lar", "Gv,Rv/Mw", { w: F_ZF, ...sys });
add(T + 0x03, "lsl", "Gv,Rv/Mw", { w: F_ZF, ...sys });
add(T + 0x06, "clts", "", sys);
add(T + 0x08, "invd", "", sys);
add(T + 0x09, "wbinvd", "", sys);
add(T + 0x0b, "ud2", "", ends);

// SIMD rows: [prefix, mnemonic, operands, unit, mod].
type S = [number, string, string, Unit?, ModForm?];
function simd(op: number, forms: S[], o: Opts = {}): void {
  for (const [prefix, m, operands, unit, mod] of forms) {
    add(T + op, m, operands, { ...o, prefix, unit: unit ?? (prefix === 0 ? "sse" : "sse2"), mod: mod ?? o.mod ?? "any" });
  }
}
/** The four forms of a packed/scalar float operation. */
function psd(op: number, m: string, o: Opts = {}): void {
  simd(op, [[0, `${m}ps`, "Vps,Wps"], [0x66, `${m}pd`, "Vpd,Wpd"], [0xf3, `${m}ss`, "Vss,Wss"], [0xf2, `${m}sd`, "Vsd,Wsd"]], o);
}
simd(0x10, [[0, "movups", "Vps,Wps"], [0x66, "movupd", "Vpd,Wpd"], [0xf3, "movss", "Vss,Wss"], [0xf2, "movsd", "Vsd,Wsd"]]);
simd(0x11, [[0, "movups", "Wps,Vps"], [0x66, "movupd", "Wpd,Vpd"], [0xf3, "movss", "Wss,Vss"], [0xf2, "movsd", "Wsd,Vsd"]]);
simd(0x12, [[0, "movlps", "Vq,Mq", "sse", "mem"], [0, "movhlps", "Vq,Uq", "sse", "reg"], [0x66, "movlpd", "Vq,Mq", "sse2", "mem"]]);
simd(0x13, [[0, "movlps", "Mq,Vq", "sse", "mem"], [0x66, "movlpd", "Mq,Vq", "sse2", "mem"]]);
simd(0x14, [[0, "unpcklps", "Vps,Wps"], [0x66, "unpcklpd", "Vpd,Wpd"]]);
simd(0x15, [[0, "unpckhps", "Vps,Wps"], [0x66, "unpckhpd", "Vpd,Wpd"]]);
simd(0x16, [[0, "movhps", "Vq,Mq", "sse", "mem"], [0, "movlhps", "Vq,Uq", "sse", "reg"], [0x66, "movhpd", "Vq,Mq", "sse2", "mem"]]);
simd(0x17, [[0, "movhps", "Mq,Vq", "sse", "mem"], [0x66, "movhpd", "Mq,Vq", "sse2", "mem"]]);
["prefetchnta", "prefetcht0", "prefetcht1", "prefetcht2"].forEach((m, n) => add(T + 0x18, m, "Mb", { reg: n, mod: "mem", ends: true }));
for (let n = 4; n < 8; n++) add(T + 0x18, "nop", "Ev", { reg: n, ends: true });
add(T + 0x18, "nop", "Ev", { reg: 0, mod: "reg", ends: true });
for (let n = 1; n < 4; n++) add(T + 0x18, "nop", "Ev", { reg: n, mod: "reg", ends: true });
for (let b = 0x19; b <= 0x1f; b++) add(T + b, "nop", "Ev", { ends: true });
add(T + 0x20, "mov", "Rd,Cd", sys);
add(T + 0x21, "mov", "Rd,Dd", sys);
add(T + 0x22, "mov", "Cd,Rd", sys);
add(T + 0x23, "mov", "Dd,Rd", sys);
simd(0x28, [[0, "movaps", "Vps,Wps"], [0x66, "movapd", "Vpd,Wpd"]]);
simd(0x29, [[0, "movaps", "Wps,Vps"], [0x66, "movapd", "Wpd,Vpd"]]);
simd(0x2a, [[0, "cvtpi2ps", "Vps,Qpi"], [0x66, "cvtpi2pd", "Vpd,Qpi"], [0xf3, "cvtsi2ss", "Vss,Ed"], [0xf2, "cvtsi2sd", "Vsd,Ed"]]);
simd(0x2b, [[0, "movntps", "Mps,Vps", "sse", "mem"], [0x66, "movntpd", "Mpd,Vpd", "sse2", "mem"]]);
simd(0x2c, [[0, "cvttps2pi", "Ppi,Wq"], [0x66, "cvttpd2pi", "Ppi,Wpd"], [0xf3, "cvttss2si", "Gd,Wss"], [0xf2, "cvttsd2si", "Gd,Wsd"]]);
simd(0x2d, [[0, "cvtps2pi", "Ppi,Wq"], [0x66, "cvtpd2pi", "Ppi,Wpd"], [0xf3, "cvtss2si", "Gd,Wss"], [0xf2, "cvtsd2si", "Gd,Wsd"]]);
simd(0x2e, [[0, "ucomiss", "Vss,Wss"], [0x66, "ucomisd", "Vsd,Wsd"]], { w: F_ARITH });
simd(0x2f, [[0, "comiss", "Vss,Wss"], [0x66, "comisd", "Vsd,Wsd"]], { w: F_ARITH });
add(T + 0x30, "wrmsr", "", sys);
add(T + 0x31, "rdtsc", "", { unit: "system" });
add(T + 0x32, "rdmsr", "", sys);
add(T + 0x33, "rdpmc", "", sys);
add(T + 0x34, "sysenter", "", { w: F_IF | F_VM | F_RF, ...sys });
add(T + 0x35, "sysexit", "", sys);
for (let n = 0; n < 16; n++) add(T + 0x40 + n, `cmov${CC[n]}`, "Gv,Ev", { r: CC_READS[n] });
simd(0x50, [[0, "movmskps", "Gd,Ups", "sse", "reg"], [0x66, "movmskpd", "Gd,Upd", "sse2", "reg"]]);
psd(0x51, "sqrt");
simd(0x52, [[0, "rsqrtps", "Vps,Wps"], [0xf3, "rsqrtss", "Vss,Wss"]]);
simd(0x53, [[0, "rcpps", "Vps,Wps"], [0xf3, "rcpss", "Vss,Wss"]]);
simd(0x54, [[0, "andps", "Vps,Wps"], [0x66, "andpd", "Vpd,Wpd"]]);
simd(0x55, [[0, "andnps", "Vps,Wps"], [0x66, "andnpd", "Vpd,Wpd"]]);
simd(0x56, [[0, "orps", "Vps,Wps"], [0x66, "orpd", "Vpd,Wpd"]]);
simd(0x57, [[0, "xorps", "Vps,Wps"], [0x66, "xorpd", "Vpd,Wpd"]]);
psd(0x58, "add");
psd(0x59, "mul");
simd(0x5a, [[0, "cvtps2pd", "Vpd,Wq", "sse2"], [0x66, "cvtpd2ps", "Vps,Wpd"], [0xf3, "cvtss2sd", "Vsd,Wss"], [0xf2, "cvtsd2ss", "Vss,Wsd"]]);
simd(0x5b, [[0, "cvtdq2ps", "Vps,Wdq", "sse2"], [0x66, "cvtps2dq", "Vdq,Wps"], [0xf3, "cvttps2dq", "Vdq,Wps"]]);
psd(0x5c, "sub");
psd(0x5d, "min");
psd(0x5e, "div");
psd(0x5f, "max");

/** An MMX operation (0F, Pq,Qq) with its SSE2 form (66 0F, Vdq,Wdq); `mmxUnit` for the 0F form. */
function mmx(op: number, m: string, mmxUnit: Unit = "mmx", mmxOperands = "Pq,Qq", xmmOperands = "Vdq,Wdq"): void {
  simd(op, [[0, m, mmxOperands, mmxUnit], [0x66, m, xmmOperands, "sse2"]]);
}
["punpcklbw", "punpcklwd", "punpckldq"].forEach((m, n) => mmx(0x60 + n, m, "mmx", "Pq,Qd"));
["packsswb", "pcmpgtb", "pcmpgtw", "pcmpgtd", "packuswb", "punpckhbw", "punpckhwd", "punpckhdq", "packssdw"].forEach((m, n) => mmx(0x63 + n, m));
simd(0x6c, [[0x66, "punpcklqdq", "Vdq,Wdq"]]);
simd(0x6d, [[0x66, "punpckhqdq", "Vdq,Wdq"]]);
simd(0x6e, [[0, "movd", "Pd,Ed", "mmx"], [0x66, "movd", "Vd,Ed"]]);
simd(0x6f, [[0, "movq", "Pq,Qq", "mmx"], [0x66, "movdqa", "Vdq,Wdq"], [0xf3, "movdqu", "Vdq,Wdq"]]);
simd(0x70, [[0, "pshufw", "Pq,Qq,Ib", "sse"], [0x66, "pshufd", "Vdq,Wdq,Ib"], [0xf3, "pshufhw", "Vdq,Wdq,Ib"], [0xf2, "pshuflw", "Vdq,Wdq,Ib"]]);
const SHIFT_IMM: [number, number, string][] = [
  [0x71, 2, "psrlw"], [0x71, 4, "psraw"], [0x71, 6, "psllw"], [0x72, 2, "psrld"], [0x72, 4, "psrad"], [0x72, 6, "pslld"],
  [0x73, 2, "psrlq"], [0x73, 6, "psllq"],
];
for (const [op, reg, m] of SHIFT_IMM) simd(op, [[0, m, "Nq,Ib", "mmx", "reg"], [0x66, m, "Udq,Ib", "sse2", "reg"]], { reg });
simd(0x73, [[0x66, "psrldq", "Udq,Ib", "sse2", "reg"]], { reg: 3 });
simd(0x73, [[0x66, "pslldq", "Udq,Ib", "sse2", "reg"]], { reg: 7 });
["pcmpeqb", "pcmpeqw", "pcmpeqd"].forEach((m, n) => mmx(0x74 + n, m));
simd(0x77, [[0, "emms", "", "mmx"]], { modrm: false });
simd(0x7e, [[0, "movd", "Ed,Pd", "mmx"], [0x66, "movd", "Ed,Vd"], [0xf3, "movq", "Vq,Wq"]]);
simd(0x7f, [[0, "movq", "Qq,Pq", "mmx"], [0x66, "movdqa", "Wdq,Vdq"], [0xf3, "movdqu", "Wdq,Vdq"]]);
for (let n = 0; n < 16; n++) {
  add(T + 0x80 + n, `j${CC[n]}`, "Jz", { r: CC_READS[n], ...ends });
  add(T + 0x90 + n, `set${CC[n]}`, "Eb", { r: CC_READS[n] });
}
add(T + 0xa0, "push", "FS", { osize: "v" });
add(T + 0xa1, "pop", "FS", { osize: "v", ends: true });
add(T + 0xa2, "cpuid", "", { unit: "system" });
const BT = ["bt", "bts", "btr", "btc"];
const btFlags = { w: F_CF | F_OF | F_SF | F_AF | F_PF, u: F_OF | F_SF | F_AF | F_PF };
add(T + 0xa3, "bt", "Ev,Gv", btFlags);
add(T + 0xa4, "shld", "Ev,Gv,Ib", { w: F_ARITH, u: F_AF | F_OF });
add(T + 0xa5, "shld", "Ev,Gv,CL", { w: F_ARITH, u: F_AF | F_OF });
add(T + 0xa8, "push", "GS", { osize: "v" });
add(T + 0xa9, "pop", "GS", { osize: "v", ends: true });
add(T + 0xaa, "rsm", "", sys); // #UD: this model has no SMM
add(T + 0xab, "bts", "Ev,Gv", { ...btFlags, lock: true });
add(T + 0xac, "shrd", "Ev,Gv,Ib", { w: F_ARITH, u: F_AF | F_OF });
add(T + 0xad, "shrd", "Ev,Gv,CL", { w: F_ARITH, u: F_AF | F_OF });
add(T + 0xae, "fxsave", "M512byte", { reg: 0, mod: "mem", unit: "sse" });
add(T + 0xae, "fxrstor", "M512byte", { reg: 1, mod: "mem", unit: "sse" });
add(T + 0xae, "ldmxcsr", "Md", { reg: 2, mod: "mem", unit: "sse" });
add(T + 0xae, "stmxcsr", "Md", { reg: 3, mod: "mem", unit: "sse" });
add(T + 0xae, "lfence", "", { reg: 5, mod: "reg", unit: "sse2" });
add(T + 0xae, "mfence", "", { reg: 6, mod: "reg", unit: "sse2" });
add(T + 0xae, "sfence", "", { reg: 7, mod: "reg", unit: "sse" });
add(T + 0xae, "clflush", "Mb", { reg: 7, mod: "mem", unit: "sse2" });
add(T + 0xaf, "imul", "Gv,Ev", { w: F_ARITH, u: F_SF | F_ZF | F_AF | F_PF });
add(T + 0xb0, "cmpxchg", "Eb,Gb", { w: F_ARITH, lock: true });
add(T + 0xb1, "cmpxchg", "Ev,Gv", { w: F_ARITH, lock: true });
add(T + 0xb2, "lss", "Gz,Mp", { mod: "mem", ...ends });
add(T + 0xb3, "btr", "Ev,Gv", { ...btFlags, lock: true });
add(T + 0xb4, "lfs", "Gz,Mp", { mod: "mem", ...ends });
add(T + 0xb5, "lgs", "Gz,Mp", { mod: "mem", ...ends });
add(T + 0xb6, "movzx", "Gv,Eb");
add(T + 0xb7, "movzx", "Gv,Ew");
for (let n = 4; n < 8; n++) add(T + 0xba, BT[n - 4]!, "Ev,Ib", { reg: n, ...btFlags, lock: n > 4 });
add(T + 0xbb, "btc", "Ev,Gv", { ...btFlags, lock: true });
add(T + 0xbc, "bsf", "Gv,Ev", { w: F_ARITH, u: F_ARITH & ~F_ZF });
add(T + 0xbd, "bsr", "Gv,Ev", { w: F_ARITH, u: F_ARITH & ~F_ZF });
add(T + 0xbe, "movsx", "Gv,Eb");
add(T + 0xbf, "movsx", "Gv,Ew");
add(T + 0xc0, "xadd", "Eb,Gb", { w: F_ARITH, lock: true });
add(T + 0xc1, "xadd", "Ev,Gv", { w: F_ARITH, lock: true });
simd(0xc2, [[0, "cmpps", "Vps,Wps,Ib"], [0x66, "cmppd", "Vpd,Wpd,Ib"], [0xf3, "cmpss", "Vss,Wss,Ib"], [0xf2, "cmpsd", "Vsd,Wsd,Ib"]]);
add(T + 0xc3, "movnti", "Md,Gd", { mod: "mem" });
simd(0xc4, [[0, "pinsrw", "Pq,Rd/Mw,Ib"], [0x66, "pinsrw", "Vdq,Rd/Mw,Ib"]]);
simd(0xc5, [[0, "pextrw", "Gd,Nq,Ib", "sse", "reg"], [0x66, "pextrw", "Gd,Udq,Ib", "sse2", "reg"]]);
simd(0xc6, [[0, "shufps", "Vps,Wps,Ib"], [0x66, "shufpd", "Vpd,Wpd,Ib"]]);
add(T + 0xc7, "cmpxchg8b", "Mq", { reg: 1, mod: "mem", w: F_ZF, lock: true, ends: true });
for (let r = 0; r < 8; r++) add(T + 0xc8 + r, "bswap", R32[r]!, { osize: "fixed" });
// D1-FE: MMX and SSE2 integer operations (0F: MMX registers; 66 0F: XMM registers).
const MMX_D0: [number, string, Unit][] = [
  [0xd1, "psrlw", "mmx"], [0xd2, "psrld", "mmx"], [0xd3, "psrlq", "mmx"], [0xd4, "paddq", "sse2"], [0xd5, "pmullw", "mmx"],
  [0xd8, "psubusb", "mmx"], [0xd9, "psubusw", "mmx"], [0xda, "pminub", "sse"], [0xdb, "pand", "mmx"], [0xdc, "paddusb", "mmx"],
  [0xdd, "paddusw", "mmx"], [0xde, "pmaxub", "sse"], [0xdf, "pandn", "mmx"],
  [0xe0, "pavgb", "sse"], [0xe1, "psraw", "mmx"], [0xe2, "psrad", "mmx"], [0xe3, "pavgw", "sse"], [0xe4, "pmulhuw", "sse"],
  [0xe5, "pmulhw", "mmx"], [0xe8, "psubsb", "mmx"], [0xe9, "psubsw", "mmx"], [0xea, "pminsw", "sse"], [0xeb, "por", "mmx"],
  [0xec, "paddsb", "mmx"], [0xed, "paddsw", "mmx"], [0xee, "pmaxsw", "sse"], [0xef, "pxor", "mmx"],
  [0xf1, "psllw", "mmx"], [0xf2, "pslld", "mmx"], [0xf3, "psllq", "mmx"], [0xf4, "pmuludq", "sse2"], [0xf5, "pmaddwd", "mmx"],
  [0xf6, "psadbw", "sse"], [0xf8, "psubb", "mmx"], [0xf9, "psubw", "mmx"], [0xfa, "psubd", "mmx"], [0xfb, "psubq", "sse2"],
  [0xfc, "paddb", "mmx"], [0xfd, "paddw", "mmx"], [0xfe, "paddd", "mmx"],
];
for (const [op, m, unit] of MMX_D0) mmx(op, m, unit);
simd(0xd6, [[0x66, "movq", "Wq,Vq"], [0xf3, "movq2dq", "Vdq,Nq", "sse2", "reg"], [0xf2, "movdq2q", "Pq,Uq", "sse2", "reg"]]);
simd(0xd7, [[0, "pmovmskb", "Gd,Nq", "sse", "reg"], [0x66, "pmovmskb", "Gd,Udq", "sse2", "reg"]]);
simd(0xe6, [[0x66, "cvttpd2dq", "Vdq,Wpd"], [0xf3, "cvtdq2pd", "Vpd,Wq"], [0xf2, "cvtpd2dq", "Vdq,Wpd"]]);
simd(0xe7, [[0, "movntq", "Mq,Pq", "sse", "mem"], [0x66, "movntdq", "Mdq,Vdq", "sse2", "mem"]]);
simd(0xf7, [[0, "maskmovq", "Pq,Nq", "sse", "reg"], [0x66, "maskmovdqu", "Vdq,Udq", "sse2", "reg"]], { asize: true });

/** Every row, in opcode order (one-byte map, then 0F map). */
export const OPCODE_ROWS: readonly OpcodeRow[] = rows.sort((a, b) => a.op - b.op);

/** Whether `row` applies to an instruction with this ModRM byte (-1: none) and mandatory prefix. */
export function rowMatches(row: OpcodeRow, modrm: number, prefix: number): boolean {
  if (row.prefix >= 0 && row.prefix !== prefix) return false;
  if (modrm < 0) return true;
  if (row.reg >= 0 && row.reg !== ((modrm >> 3) & 7)) return false;
  if (row.mod === "mem" && modrm >= 0xc0) return false;
  if (row.mod === "reg" && modrm < 0xc0) return false;
  return row.rm < 0 || row.rm === (modrm & 7);
}

/** The row of an instruction (opcode, ModRM or -1, mandatory prefix 0/0x66/0xF3/0xF2), or null for #UD.
 *  Not for hot paths (a linear scan): `opcode-index.ts` has the precomputed lookups. */
export function findRow(op: number, modrm: number, prefix: number): OpcodeRow | null {
  for (const row of OPCODE_ROWS) if (row.op === op && rowMatches(row, modrm, prefix)) return row;
  return null;
}
