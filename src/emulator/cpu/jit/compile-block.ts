// The block compiler: decodes straight-line 32-bit guest code from one physical page and turns it
// into the source of one JavaScript function, built once with `new Function`. Common instructions
// are inlined with their decoded operands as constants; any other instruction becomes a call of
// the interpreter for that one instruction (c.eip set to its start, c.step()).
//
// Contract of a block function `(c) => number`: it runs the instructions in order, leaves c.eip at
// the next instruction and returns how many instructions it completed. Only the slow paths of
// memory accesses (c.rd*/c.wr*) and the interpreter can fault: before calling them it stores the
// instruction's EIP in c.instrStart (the run loop maps it back to an instruction count). After
// every store that took the slow path (the only way to a page with compiled code) it returns early
// when c.jitSmc says the block's own page was written (self-modifying code).

import type { CPU } from "../cpu.ts";
import { getCF, testCondition, PARITY_TABLE } from "../flags.ts";
import { shiftOp } from "../shift-rotate.ts";
import { decodeInsn, type Insn } from "./decode.ts";
import { KEY_FLAGS_KILL, KEY_FLAGS_NONE, KEY_JIT_CONTINUES, opKey } from "../opcode-index.ts";
import {
  computeLin, effectiveOffset, emitContext, isRegForm, linOf, loadE, maskOf, readMem, reg, signShift, storeE, writeMem, type Size,
} from "./emit-memory.ts";
import { cfExpr, condExpr, elideRepeatedRecordFields, setAdd, setLogic, setResult, setSub, type FlagState } from "./emit-flags.ts";

/** Runs the block (repeatedly, while it loops to itself and `budget` instructions allow); returns
 *  the instructions completed. */
export type BlockFn = (c: CPU, budget: number) => number;

export interface CompiledBlock {
  fn: BlockFn | null;
  /** Start EIP of every instruction of the entry superblock. */
  eips: Int32Array;
  /** Per superblock (case label): the start EIP of every instruction (index i = i + 1
   *  instructions of that superblock done when it completes). */
  sbEips: Int32Array[];
  /** Instructions inlined (not handed to the interpreter). */
  inlined: number;
  sourceLength: number;
  /** Longest superblock: the run loop enters only when its budget allows this many instructions. */
  maxLen: number;
  /** Guest code covered: [physical start, byte length] per superblock (all in one page). */
  ranges: [number, number][];
  /** Bit n: inlined code addresses memory through segment n. Compiled code does no limit checks,
   *  so the run loop enters the block only while none of these segments needs them
   *  (c.segCheckMask); the interpreter runs it otherwise. */
  segUse: number;
  /** Highest EIP (unsigned) the compiled code executes or branches to directly: the run loop
   *  enters the block only while it is inside the CS limit. Indirect targets (RET, JMP/CALL r/m)
   *  are checked by the compiled code, which leaves them to the interpreter when they are not. */
  eipMax: number;
  /** Bit n: segment n had base 0 at compile time and its base is left out of the addresses; the
   *  run loop enters the block only while that base is still 0 (c.segBaseNonZero). */
  segZero: number;
}

export const MAX_BLOCK_INSNS = 32;

const HELPERS = { G: getCF, T: testCondition, SH: shiftOp, PAR: PARITY_TABLE };

/** The interpreter may run this instruction inside a block and the block goes on after it (the
 *  opcode table's JIT rule: it changes neither EIP beyond itself, nor modes, segments, paging or
 *  interrupt state). */
function continuesAfterFallback(insn: Insn): boolean {
  return KEY_JIT_CONTINUES[opKey(insn.op, insn.modrm < 0 ? 0 : (insn.modrm >> 3) & 7)] === 1;
}

/** Per-block code generator state. */
class Gen {
  readonly out: string[] = [];
  flags: FlagState | null = null;
  /** Index of the instruction being emitted; k + 1 = count when it completes. */
  k = 0;
  /** Set once an instruction ended the block (no fall-through code after it). */
  ended = false;
  /** Superblocks of the region by start EIP → index (case label); null while discovering. */
  labels: Map<number, number> | null = null;
  /** Direct branch targets seen (discovery: candidates for more superblocks of the region). */
  readonly targets: number[] = [];
  /** A branch to a superblock of the region was emitted: the body is wrapped in a loop. */
  loops = false;
  /** Longest superblock of the region (the budget a transition must leave). */
  maxLen = MAX_BLOCK_INSNS;
  /** Instructions inlined (not handed to the interpreter). */
  inlined = 0;

  /** The current instruction's flags are overwritten before anything can observe them. */
  dead = false;

  emit(s: string): void {
    this.out.push(s);
  }
  /** Emits a flags-record update unless the flags are dead. */
  rec(s: string): void {
    if (!this.dead) this.out.push(s);
  }
  /** The self-modifying-code exit of a store's slow path (writeMem's `onSlow`): when the write
   *  hit the running block's page, `rest` (the instruction's effects after the store) and leave
   *  at `next`. */
  smcExit(next: number, rest = ""): string {
    return `if (c.jitSmc) { ${rest}c.eip = ${next}; return n + ${this.k + 1}; }`;
  }
  /** An indirect target in `t` beyond the CS limit: the interpreter runs the instruction (and
   *  raises its #GP(0) before any effect); the statement precedes the instruction's effects. */
  targetCheck(insn: Insn): void {
    this.emit(`if (t >>> 0 > c.codeLimit) { c.eip = ${insn.eip}; c.step(); return n + ${this.k + 1}; }`);
  }
  exitTo(eipExpr: string): void {
    this.emit(`c.eip = ${eipExpr}; return n + ${this.k + 1};`);
    this.ended = true;
  }
  /** Statement for a taken branch to `target`: when it starts a superblock of the region and the
   *  run loop's budget allows a whole superblock more, go there inside the function (the case
   *  label in c.jitPc and the instructions done in c.jitLoopDone let a fault be counted); else
   *  leave the function. */
  branch(target: number): string {
    this.targets.push(target);
    const label = this.labels?.get(target);
    if (label === undefined) return `c.eip = ${target}; return n + ${this.k + 1};`;
    this.loops = true;
    // eventPending is always a boolean: `=== true` is one comparison, where V8 compiled the bare
    // truthiness test of the field as a generic ToBoolean.
    return `n += ${this.k + 1}; if (n + ${this.maxLen} > budget || c.eventPending === true) { c.eip = ${target}; return n; } c.jitLoopDone = n; c.jitPc = pc = ${label}; continue;`;
  }
}

/** Most superblocks and instructions in one region (one function). */
export const MAX_REGION_BLOCKS = 16;
const MAX_REGION_INSNS = 192;

/**
 * Decodes and compiles the region entered at physical address `phys` / guest EIP `eip`: the
 * superblock there plus the superblocks that direct branches (Jcc, JMP, CALL, LOOP, JECXZ, falling
 * off a full superblock) reach inside the same 4 KiB page, so a loop spanning several branches
 * runs inside one function instead of returning to the run loop at every branch. Any other
 * target (another page, RET, indirect, an instruction left to the interpreter that ends a block)
 * leaves the function.
 */
export function compileBlock(ram: Uint8Array, phys: number, eip: number, zeroBase = 0): CompiledBlock {
  emitContext.zeroBase = zeroBase;
  emitContext.used = 0;
  emitContext.assumedZero = 0;
  const entryOffset = phys & 0xfff;
  const pageBase = phys - entryOffset;
  // The target's linear address is in the entry's page, so it is the same physical page.
  const inPage = (t: number) => entryOffset + (t - eip) >= 0 && entryOffset + (t - eip) < 4096;
  const physOf = (t: number) => pageBase + entryOffset + (t - eip);

  // Pass 1 finds the region's block starts: the entry and the direct branch targets in the page
  // reachable from it (breadth first, within the bounds).
  const seen = new Set<number>();
  const queue = [eip];
  let total = 0;
  while (queue.length > 0 && seen.size < MAX_REGION_BLOCKS && total < MAX_REGION_INSNS) {
    const start = queue.shift()!;
    if (seen.has(start)) continue;
    const { insns, gen } = emitBlock(ram, physOf(start), start, null, null, MAX_BLOCK_INSNS, seen);
    if (insns.length === 0) continue;
    seen.add(start);
    total += insns.length;
    for (const t of gen.targets) if (inPage(t) && !seen.has(t)) queue.push(t);
  }
  // Then each block is decoded up to the next start, so that no code is emitted twice: a block
  // that runs into another block's start goes on there through a case label.
  const starts = [...seen];
  const found = starts.map((start) => emitBlock(ram, physOf(start), start, null, null, MAX_BLOCK_INSNS, seen).insns);
  const labels = new Map<number, number>();
  starts.forEach((s, i) => labels.set(s, i));
  const maxLen = Math.max(1, ...found.map((i) => i.length));

  // Pass 2 emits every superblock again, knowing the labels and which flag records nobody can observe.
  const cases: string[] = [];
  const sbEips: Int32Array[] = [];
  const ranges: [number, number][] = [];
  let inlined = 0;
  let loops = false;
  let eipMax = 0;
  for (let i = 0; i < starts.length; i++) {
    const insns = found[i]!;
    const g = emitBlock(ram, physOf(starts[i]!), starts[i]!, deadFlags(insns), labels, maxLen, seen).gen;
    for (const x of insns) eipMax = Math.max(eipMax, (x.next - 1) >>> 0);
    for (const t of g.targets) eipMax = Math.max(eipMax, t >>> 0);
    inlined += g.inlined;
    loops ||= g.loops;
    cases.push(elideRepeatedRecordFields(g.out).join("\n"));
    sbEips.push(new Int32Array(insns.map((x) => x.eip)));
    ranges.push([physOf(starts[i]!), insns.reduce((n, x) => n + x.len, 0)]);
  }
  const empty = { fn: null, eips: new Int32Array(0), sbEips, inlined: 0, sourceLength: 0, maxLen, ranges: [[phys, 1]] as [number, number][], segUse: 0, eipMax, segZero: 0 };
  if (starts.length === 0 || starts[0] !== eip || inlined === 0) return empty;
  let code: string;
  if (!loops) code = cases[0]!;
  else if (cases.length === 1) code = `for (;;) {\n${cases[0]}\n}`;
  else code = `for (;;) {\nswitch (pc) {\n${cases.map((body, i) => `case ${i}: {\n${body}\n}`).join("\n")}\n}\n}`;
  const body =
    "const r32 = c.r32, r16 = c.r16, r8 = c.r8, ram = c.ram, ram16 = c.ram16, ram32 = c.ram32, tlb = c.tlb, segBase = c.segBase;\n" +
    "const rm = c.readMask, wm = c.writeMask;\n" +
    "let lin = 0, e = 0, p = 0, a = 0, b = 0, res = 0, t = 0, fa = 0, fb = 0, fr = 0, n = 0, pc = 0;\n" +
    code;
  const src = `const G = H.G, T = H.T, SH = H.SH, PAR = H.PAR;\nreturn (function block_${(eip >>> 0).toString(16)}(c, budget) {\n${body}\n});`;
  const factory = new Function("H", src) as (h: typeof HELPERS) => BlockFn;
  // Every inlined memory access forms its address through linOf (emit-memory.ts), which records
  // the segments the block relies on.
  const segUse = emitContext.used;
  const segZero = emitContext.assumedZero;
  return { fn: factory(HELPERS), eips: sbEips[0]!, sbEips, inlined, sourceLength: src.length, maxLen, ranges, segUse, eipMax, segZero };
}

/** Decodes (and emits) one block from `eip`, ending at a control transfer, the length limit, the
 *  page end, or before another block's start in `stops`. */
function emitBlock(
  ram: Uint8Array, phys: number, eip: number, dead: boolean[] | null, labels: Map<number, number> | null, maxLen: number,
  stops: ReadonlySet<number>,
): { insns: Insn[]; gen: Gen } {
  const end = (phys & ~0xfff) + 4096;
  const g = new Gen();
  g.labels = labels;
  g.maxLen = maxLen;
  const insns: Insn[] = [];
  let p = phys;
  let cur = eip;
  while (insns.length < MAX_BLOCK_INSNS && !g.ended) {
    if (insns.length > 0 && stops.has(cur)) break;
    const insn = decodeInsn(ram, p, end, cur);
    if (insn === null) break;
    // Do not run across the wrap of the 32-bit EIP space.
    if ((cur >= 0) !== (insn.next >= 0) && insn.next !== 0) break;
    g.k = insns.length;
    g.dead = dead !== null && dead[g.k] === true;
    emitContext.eip = insn.eip;
    insns.push(insn);
    if (emitInsn(g, insn)) g.inlined++;
    else emitFallback(g, insn);
    p += insn.len;
    cur = insn.next;
  }
  g.dead = false;
  if (!g.ended && insns.length > 0) {
    // Fell off the end (length limit, page end, an undecodable instruction): go on at `cur`.
    g.k = insns.length - 1;
    g.emit(g.branch(cur));
    g.ended = true;
  }
  return { insns, gen: g };
}

/** Register form (or no ModRM): the instruction cannot fault on a memory access. */
function regOnly(i: Insn): boolean {
  return i.modrm < 0 || i.modrm >= 0xc0;
}

/** Inlined by emitInsn (without LOCK, REP or an address-size override) in a form that cannot fault
 *  or leave the block: register forms (LEA: its memory form) of the ALU, MOV, XCHG, TEST, IMUL,
 *  NOT/NEG/MUL (32-bit), shifts by a non-zero constant (32-bit) and MOVZX/MOVSX. What they do to the
 *  flags is the opcode table's. */
function inlinedWithoutFault(i: Insn): boolean {
  if (i.a16 || i.lock || i.rep !== 0) return false;
  const op = i.op;
  if (op === 0x8d) return !regOnly(i);
  if (!regOnly(i)) return false;
  if (op < 0x40) return (op & 7) < 6;
  const r = (i.modrm >> 3) & 7;
  switch (op) {
    case 0x69: case 0x6b: case 0x1af: case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf:
    case 0xa8: case 0xa9: case 0xc6: case 0xc7:
      return true;
    case 0xf6: case 0xf7: return r < 4 || (op === 0xf7 && !i.o16 && r < 6);
    case 0xc1: return !i.o16 && (i.imm & 31) !== 0;
    case 0xd1: return !i.o16;
    default: return (op >= 0x80 && op <= 0x8b) || (op >= 0x90 && op <= 0x99) || (op >= 0xb0 && op <= 0xbf);
  }
}

const flagKey = (i: Insn) => opKey(i.op, i.modrm < 0 ? 0 : (i.modrm >> 3) & 7);

/** Inlined, cannot fault or leave the block, reads no flags and writes all six. */
function writesAllFlags(i: Insn): boolean {
  return inlinedWithoutFault(i) && KEY_FLAGS_KILL[flagKey(i)] === 1;
}

/** Inlined, cannot fault or leave the block, and neither reads nor writes flags. */
function flagTransparent(i: Insn): boolean {
  return inlinedWithoutFault(i) && KEY_FLAGS_NONE[flagKey(i)] === 1;
}

/** For each instruction: are its flag results overwritten before any possible observer? */
function deadFlags(insns: Insn[]): boolean[] {
  const dead: boolean[] = new Array<boolean>(insns.length).fill(false);
  for (let i = 0; i < insns.length; i++) {
    for (let j = i + 1; j < insns.length; j++) {
      const n = insns[j]!;
      if (writesAllFlags(n)) {
        dead[i] = true;
        break;
      }
      if (!flagTransparent(n)) break;
    }
  }
  return dead;
}

/** The interpreter runs this one instruction. */
function emitFallback(g: Gen, insn: Insn): void {
  g.emit(`c.eip = ${insn.eip}; c.step();`);
  g.flags = null;
  if (continuesAfterFallback(insn)) g.emit(`if (c.eip !== ${insn.next} || c.jitSmc) return n + ${g.k + 1};`);
  else {
    g.emit(`return n + ${g.k + 1};`);
    g.ended = true;
  }
}

function opSize(insn: Insn, byteForm: boolean): Size {
  return byteForm ? 8 : insn.o16 ? 16 : 32;
}

function maskStr(size: Size): string {
  return String(maskOf(size));
}

/** ALU op 0-7 on variables a, b into res, with the flags record (alu.ts aluOp). */
function emitAlu(g: Gen, op: number, size: Size): void {
  const m = maskStr(size);
  const s = signShift(size);
  switch (op) {
    case 0:
      g.emit(`res = (a + b) & ${m};`);
      g.rec(setAdd("a", "b", "res", s));
      g.flags = { kind: "add", shift: s };
      return;
    case 1:
      g.emit(`res = (a | b) & ${m};`);
      g.rec(setLogic("res", s));
      g.flags = { kind: "logic", shift: s };
      return;
    case 2:
      g.emit(`t = ${cfExpr(g.flags)}; res = (a + b + t) & ${m};`);
      g.rec(`${setAdd("a", "b", "res", s)} c.flags = (c.flags & -2) | ((t ? res >>> 0 <= a >>> 0 : res >>> 0 < a >>> 0) ? 1 : 0); c.lazy = 2260;`);
      g.flags = null;
      return;
    case 3:
      g.emit(`t = ${cfExpr(g.flags)}; res = (a - b - t) & ${m};`);
      g.rec(`${setSub("a", "b", "res", s)} c.flags = (c.flags & -2) | ((t ? a >>> 0 <= b >>> 0 : a >>> 0 < b >>> 0) ? 1 : 0); c.lazy = 2260;`);
      g.flags = null;
      return;
    case 4:
      g.emit(`res = a & b & ${m};`);
      g.rec(setLogic("res", s));
      g.flags = { kind: "logic", shift: s };
      return;
    case 6:
      g.emit(`res = (a ^ b) & ${m};`);
      g.rec(setLogic("res", s));
      g.flags = { kind: "logic", shift: s };
      return;
    default:
      g.emit(`res = (a - b) & ${m};`);
      g.rec(setSub("a", "b", "res", s));
      g.flags = { kind: "sub", shift: s };
  }
}

function emitIncDec(g: Gen, dec: boolean, size: Size): void {
  const m = maskStr(size);
  const s = signShift(size);
  const rec = dec ? setSub("a", "1", "res", s) : setAdd("a", "1", "res", s);
  g.emit(`res = (a ${dec ? "-" : "+"} 1) & ${m};`);
  g.rec(`t = ${cfExpr(g.flags)}; ${rec} c.flags = (c.flags & -2) | t; c.lazy = 2260;`);
  g.flags = { kind: dec ? "dec" : "inc", shift: s };
}

/** E op= something, given a loader for b. Handles register/memory, write-back and fault marking. */
function emitAluE(g: Gen, insn: Insn, op: number, size: Size, loadB: string): void {
  const mem = !isRegForm(insn);
  g.emit(loadE(size, insn, "a"));
  g.emit(loadB);
  emitAlu(g, op, size);
  if (op !== 7) {
    g.emit(storeE(size, insn, "res", g.smcExit(insn.next)));
  }
}

/** Inlines `insn` when supported; returns false to leave it to the interpreter. */
function emitInsn(g: Gen, insn: Insn): boolean {
  const op = insn.op;
  // Address-size overrides, LOCK and REP (except the harmless REP RET) stay with the interpreter.
  if (insn.a16 || insn.lock) return false;
  if (insn.rep !== 0 && op !== 0xc3 && op !== 0xc2) return false;
  const mem = insn.modrm >= 0 && insn.modrm < 0xc0;
  const regG = (insn.modrm >> 3) & 7;

  // ALU rows 00-3F, forms 0-5.
  if (op < 0x40 && (op & 7) < 6) {
    const alu = op >> 3;
    const form = op & 7;
    const size = opSize(insn, (form & 1) === 0);
    switch (form) {
      case 0:
      case 1:
        emitAluE(g, insn, alu, size, `b = ${reg(size, regG)};`);
        return true;
      case 2:
      case 3: {
        g.emit(`a = ${reg(size, regG)};`);
        g.emit(loadE(size, insn, "b"));
        emitAlu(g, alu, size);
        if (alu !== 7) g.emit(`${reg(size, regG)} = res;`);
        return true;
      }
      default: {
        g.emit(`a = ${reg(size, 0)}; b = ${size === 32 ? insn.imm : insn.imm & maskOf(size)};`);
        emitAlu(g, alu, size);
        if (alu !== 7) g.emit(`${reg(size, 0)} = res;`);
        return true;
      }
    }
  }

  switch (op) {
    // ---- group 1 ----
    case 0x80:
    case 0x82:
    case 0x81:
    case 0x83: {
      const size = opSize(insn, op === 0x80 || op === 0x82);
      let imm = insn.imm;
      if (op === 0x83) imm = size === 32 ? (imm << 24) >> 24 : ((imm << 24) >> 24) & 0xffff;
      emitAluE(g, insn, regG, size, `b = ${imm};`);
      return true;
    }
    // ---- INC/DEC ----
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: {
      const size = opSize(insn, false);
      const r = op & 7;
      g.emit(`a = ${reg(size, r)};`);
      emitIncDec(g, op >= 0x48, size);
      g.emit(`${reg(size, r)} = res;`);
      return true;
    }
    case 0xfe:
    case 0xff: {
      const size = opSize(insn, op === 0xfe);
      if (regG <= 1) {
        g.emit(loadE(size, insn, "a"));
        emitIncDec(g, regG === 1, size);
        g.emit(storeE(size, insn, "res", g.smcExit(insn.next)));
        return true;
      }
      if (op === 0xfe || insn.o16) return false;
      if (regG === 2 || regG === 4) {
        // CALL/JMP near indirect.
        g.emit(loadE(32, insn, "t"));
        g.targetCheck(insn);
        if (regG === 2) emitPush(g, String(insn.next));
        g.exitTo("t");
        return true;
      }
      if (regG === 6) {
        g.emit(loadE(32, insn, "t"));
        emitPush(g, "t", insn.next);
        return true;
      }
      return false;
    }
    // ---- TEST ----
    case 0x84:
    case 0x85: {
      const size = opSize(insn, op === 0x84);
      g.emit(loadE(size, insn, "a"));
      g.emit(`res = a & ${reg(size, regG)};`);
      g.rec(setLogic("res", signShift(size)));
      g.flags = { kind: "logic", shift: signShift(size) };
      return true;
    }
    case 0xa8:
    case 0xa9: {
      const size = opSize(insn, op === 0xa8);
      g.emit(`res = ${reg(size, 0)} & ${size === 32 ? insn.imm : insn.imm & maskOf(size)};`);
      g.rec(setLogic("res", signShift(size)));
      g.flags = { kind: "logic", shift: signShift(size) };
      return true;
    }
    // ---- group 3: TEST imm, NOT, NEG ----
    case 0xf6:
    case 0xf7: {
      const size = opSize(insn, op === 0xf6);
      const s = signShift(size);
      if ((regG === 4 || regG === 5) && size === 32) {
        // MUL / IMUL EDX:EAX = EAX * E, the 64-bit product from 16-bit halves (alu.ts mul32).
        g.emit(loadE(32, insn, "b"));
        g.emit(
          "a = r32[0]; { const aL = a & 65535, aH = a >>> 16, bL = b & 65535, bH = b >>> 16; " +
            "const ll = aL * bL, lh = aL * bH, hl = aH * bL, mid = (ll >>> 16) + (lh & 65535) + (hl & 65535); " +
            "t = (aH * bH + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0; res = (ll & 65535) | (mid << 16); }",
        );
        if (regG === 5) g.emit("if (a < 0) t = (t - b) | 0; if (b < 0) t = (t - a) | 0;");
        g.emit("r32[0] = res; r32[2] = t;");
        g.rec(setResult("res", 31, regG === 4 ? "t !== 0 ? 2049 : 0" : "t !== res >> 31 ? 2049 : 0"));
        g.flags = null;
        return true;
      }
      if (regG >= 4) return false;
      g.emit(loadE(size, insn, "a"));
      if (regG <= 1) {
        g.emit(`res = a & ${insn.imm};`);
        g.rec(setLogic("res", s));
        g.flags = { kind: "logic", shift: s };
        return true;
      }
      if (regG === 2) g.emit(`res = ${size === 32 ? "~a" : `~a & ${maskOf(size)}`};`);
      else {
        g.emit(`res = (0 - a) & ${maskStr(size)};`);
        g.rec(setSub("0", "a", "res", s));
        g.flags = { kind: "sub", shift: s };
      }
      g.emit(storeE(size, insn, "res", g.smcExit(insn.next)));
      return true;
    }
    // ---- MOV ----
    case 0x88:
    case 0x89: {
      const size = opSize(insn, op === 0x88);
      if (mem) {
        g.emit(`${computeLin(insn)} t = ${reg(size, regG)}; ${writeMem(size, "t", g.smcExit(insn.next))}`);
      } else g.emit(`${reg(size, insn.modrm & 7)} = ${reg(size, regG)};`);
      return true;
    }
    case 0x8a:
    case 0x8b: {
      const size = opSize(insn, op === 0x8a);
      if (mem) {
        g.emit(`${computeLin(insn)} ${readMem(size, "t")} ${reg(size, regG)} = t;`);
      } else g.emit(`${reg(size, regG)} = ${reg(size, insn.modrm & 7)};`);
      return true;
    }
    case 0xc6:
    case 0xc7: {
      if (regG !== 0) return false;
      const size = opSize(insn, op === 0xc6);
      if (mem) {
        g.emit(`${computeLin(insn)} ${writeMem(size, String(insn.imm), g.smcExit(insn.next))}`);
      } else g.emit(`${reg(size, insn.modrm & 7)} = ${insn.imm};`);
      return true;
    }
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
      g.emit(`${reg(8, op & 7)} = ${insn.imm};`);
      return true;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      g.emit(`${reg(opSize(insn, false), op & 7)} = ${insn.imm};`);
      return true;
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: {
      const size = opSize(insn, op === 0xa0 || op === 0xa2);
      const seg = insn.seg >= 0 ? insn.seg : 3;
      g.emit(linOf(seg, String(insn.imm | 0)));
      if (op <= 0xa1) g.emit(`${readMem(size, "t")} ${reg(size, 0)} = t;`);
      else {
        g.emit(`t = ${reg(size, 0)}; ${writeMem(size, "t", g.smcExit(insn.next))}`);
      }
      return true;
    }
    case 0x8d: {
      if (!mem) return false;
      const { off } = effectiveOffset(insn);
      g.emit(`${reg(opSize(insn, false), regG)} = ${off};`);
      return true;
    }
    // ---- MOVZX / MOVSX ----
    case 0x1b6:
    case 0x1b7:
    case 0x1be:
    case 0x1bf: {
      const src: Size = op === 0x1b6 || op === 0x1be ? 8 : 16;
      g.emit(loadE(src, insn, "t"));
      const v = op === 0x1be ? "(t << 24) >> 24" : op === 0x1bf ? "(t << 16) >> 16" : "t";
      g.emit(`${reg(opSize(insn, false), regG)} = ${v};`);
      return true;
    }
    // ---- XCHG ----
    case 0x86:
    case 0x87: {
      const size = opSize(insn, op === 0x86);
      g.emit(loadE(size, insn, "a"));
      g.emit(`t = ${reg(size, regG)}; ${storeE(size, insn, "t", g.smcExit(insn.next, `${reg(size, regG)} = a; `))} ${reg(size, regG)} = a;`);
      return true;
    }
    case 0x90:
      return true;
    case 0x118: case 0x119: case 0x11a: case 0x11b: case 0x11c: case 0x11d: case 0x11e: case 0x11f:
      // Hint NOPs (PREFETCHh, NOP r/m): the operand is only decoded, nothing is accessed.
      return true;
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97: {
      const size = opSize(insn, false);
      g.emit(`t = ${reg(size, op & 7)}; ${reg(size, op & 7)} = ${reg(size, 0)}; ${reg(size, 0)} = t;`);
      return true;
    }
    case 0x98:
      g.emit(insn.o16 ? "r16[0] = (r8[0] << 24) >> 24;" : "r32[0] = (r32[0] << 16) >> 16;");
      return true;
    case 0x99:
      g.emit(insn.o16 ? "r16[4] = (r16[0] & 0x8000) !== 0 ? 0xffff : 0;" : "r32[2] = r32[0] >> 31;");
      return true;
    // ---- IMUL ----
    case 0x1af:
    case 0x69:
    case 0x6b: {
      const size = opSize(insn, false);
      if (op === 0x1af) {
        g.emit(`a = ${reg(size, regG)};`);
        g.emit(loadE(size, insn, "b"));
      } else {
        g.emit(loadE(size, insn, "a"));
        const imm = op === 0x6b ? (insn.imm << 24) >> 24 : insn.imm;
        g.emit(`b = ${imm};`);
      }
      if (size === 32) {
        g.emit(`res = Math.imul(a, b); r32[${regG}] = res;`);
        g.rec(setResult("res", 31, "(a | 0) * (b | 0) !== res ? 2049 : 0"));
      } else {
        g.emit(`t = ((a << 16) >> 16) * ((b << 16) >> 16); r16[${regG << 1}] = t; res = t & 0xffff;`);
        g.rec(setResult("res", 15, "t !== ((t << 16) >> 16) ? 2049 : 0"));
      }
      g.flags = null;
      return true;
    }
    // ---- shifts and rotates ----
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      const size = opSize(insn, (op & 1) === 0);
      g.emit(loadE(size, insn, "a"));
      const count = op <= 0xc1 ? String(insn.imm & 31) : op <= 0xd1 ? "1" : "(r8[4] & 31)";
      if (count === "0") return true;
      const inline = size === 32 ? inlineShift32(regG, g.dead) : null;
      const body = inline ?? `res = SH(c, ${regG}, a, t, ${size});`;
      g.emit(`t = ${count}; if (t !== 0) { ${body} ${storeE(size, insn, "res", g.smcExit(insn.next))} }`);
      g.flags = null;
      return true;
    }
    // ---- SETcc / CMOVcc ----
    case 0x190: case 0x191: case 0x192: case 0x193: case 0x194: case 0x195: case 0x196: case 0x197:
    case 0x198: case 0x199: case 0x19a: case 0x19b: case 0x19c: case 0x19d: case 0x19e: case 0x19f: {
      const cond = condExpr(op & 15, g.flags);
      if (mem) {
        g.emit(`t = ${cond} ? 1 : 0; ${computeLin(insn)} ${writeMem(8, "t", g.smcExit(insn.next))}`);
      } else g.emit(`${reg(8, insn.modrm & 7)} = ${cond} ? 1 : 0;`);
      return true;
    }
    case 0x140: case 0x141: case 0x142: case 0x143: case 0x144: case 0x145: case 0x146: case 0x147:
    case 0x148: case 0x149: case 0x14a: case 0x14b: case 0x14c: case 0x14d: case 0x14e: case 0x14f: {
      const size = opSize(insn, false);
      g.emit(loadE(size, insn, "t"));
      g.emit(`if (${condExpr(op & 15, g.flags)}) ${reg(size, regG)} = t;`);
      return true;
    }
    // ---- stack ----
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
      if (insn.o16) return false;
      g.emit(`t = r32[${op & 7}];`);
      emitPush(g, "t", insn.next);
      return true;
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
      if (insn.o16) return false;
      g.emit(`a = r32[4]; ${linOf(2, "a")} ${readMem(32, "t")} r32[4] = a + 4; r32[${op & 7}] = t;`);
      return true;
    case 0xc9:
      // LEAVE: ESP = EBP + 4 after reading the saved EBP at [EBP].
      if (insn.o16) return false;
      g.emit(`a = r32[5]; ${linOf(2, "a")} ${readMem(32, "t")} r32[4] = a + 4; r32[5] = t;`);
      return true;
    case 0x68:
    case 0x6a:
      if (insn.o16) return false;
      emitPush(g, String(op === 0x6a ? (insn.imm << 24) >> 24 : insn.imm), insn.next);
      return true;
    // ---- control transfer ----
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
    case 0x180: case 0x181: case 0x182: case 0x183: case 0x184: case 0x185: case 0x186: case 0x187:
    case 0x188: case 0x189: case 0x18a: case 0x18b: case 0x18c: case 0x18d: case 0x18e: case 0x18f: {
      if (insn.o16) return false;
      const rel = op < 0x100 ? (insn.imm << 24) >> 24 : insn.imm;
      const target = (insn.next + rel) | 0;
      // Taken: leave the block. Not taken: the block goes on (flags state unchanged).
      g.emit(`if (${condExpr(op & 15, g.flags)}) { ${g.branch(target)} }`);
      return true;
    }
    case 0xeb:
    case 0xe9: {
      if (insn.o16) return false;
      const rel = op === 0xeb ? (insn.imm << 24) >> 24 : insn.imm;
      g.emit(g.branch((insn.next + rel) | 0));
      g.ended = true;
      return true;
    }
    case 0xe8: {
      if (insn.o16) return false;
      const target = (insn.next + insn.imm) | 0;
      emitPush(g, String(insn.next), target); // the push may hit this page's code: leave at the target
      g.emit(g.branch(target));
      g.ended = true;
      return true;
    }
    case 0xc3:
    case 0xc2: {
      if (insn.o16) return false;
      g.emit(`a = r32[4]; ${linOf(2, "a")} ${readMem(32, "t")}`);
      g.targetCheck(insn);
      g.emit(`r32[4] = a + ${op === 0xc3 ? 4 : 4 + insn.imm};`);
      g.exitTo("t");
      return true;
    }
    case 0xe2: {
      if (insn.o16) return false;
      const target = (insn.next + ((insn.imm << 24) >> 24)) | 0;
      g.emit(`t = r32[1] = (r32[1] - 1) | 0; if (t !== 0) { ${g.branch(target)} }`);
      return true;
    }
    case 0xe3: {
      if (insn.o16) return false;
      const target = (insn.next + ((insn.imm << 24) >> 24)) | 0;
      g.emit(`if (r32[1] === 0) { ${g.branch(target)} }`);
      return true;
    }
    default:
      return false;
  }
}

/** SHL/SHR/SAR of the 32-bit `a` by t (1..31) into res, with shift-rotate.ts shiftOp's flags. */
function inlineShift32(op: number, dead: boolean): string | null {
  const rec = (eager: string) => (dead ? "" : setResult("res", 31, eager));
  switch (op) {
    case 4:
    case 6:
      return `res = a << t; b = (a >>> (32 - t)) & 1; ${rec("b | (((res >>> 31) ^ b) << 11)")}`;
    case 5:
      return `res = a >>> t | 0; b = (a >>> (t - 1)) & 1; ${rec("b | ((a >>> 31) << 11)")}`;
    case 7:
      return `res = a >> t; b = (a >> (t - 1)) & 1; ${rec("b")}`;
    default:
      return null;
  }
}

/** PUSH (32-bit, SS.B=1): write below ESP, then move ESP (cpu.ts push32). `smcNext`: where to
 *  leave when the write hit the running block's page (null: the caller leaves anyway). */
function emitPush(g: Gen, v: string, smcNext: number | null = null): void {
  const onSlow = smcNext === null ? "" : g.smcExit(smcNext, "r32[4] = a; ");
  g.emit(`a = (r32[4] - 4) | 0; ${linOf(2, "a")} ${writeMem(32, v, onSlow)} r32[4] = a;`);
}
