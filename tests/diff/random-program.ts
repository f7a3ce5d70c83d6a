// Seeded random instruction streams for the differential CPU tests. Each instruction is followed by
// a DUMP of the registers and of the flags that are architecturally defined at that point (the
// generator tracks which flags earlier instructions left undefined, and only lets flag readers use
// defined ones), so any difference between QEMU and Hypertab is a real CPU difference. The
// mnemonics it chooses from and the flags each instruction writes or leaves undefined come from the
// CPU's opcode table (src/emulator/cpu/opcode-table.ts).

import {
  F_AF as AF, F_ARITH as ARITH, F_CF as CF, F_OF as OF, OPCODE_ROWS, type OpcodeRow,
} from "../../src/emulator/cpu/opcode-table.ts";

/** The rows of opcode `op` (0x100 + byte for the 0F map), members `regs` of a group. */
function rowsOf(op: number, regs?: readonly number[]): OpcodeRow[] {
  return OPCODE_ROWS.filter((r) => r.op === op && (regs === undefined || regs.includes(r.reg)));
}
/** Their mnemonics, without repeats, in table order. */
const mnemonicsOf = (op: number, regs?: readonly number[]) => [...new Set(rowsOf(op, regs).map((r) => r.mnemonic))];
/** The integer instruction rows (one-byte and 0F map) by mnemonic: the first row of each. */
const ROW_BY_MNEMONIC = new Map<string, OpcodeRow>();
for (const r of OPCODE_ROWS) if (r.unit === "integer" && !ROW_BY_MNEMONIC.has(r.mnemonic)) ROW_BY_MNEMONIC.set(r.mnemonic, r);
for (const r of OPCODE_ROWS) if (r.mnemonic16 !== null && !ROW_BY_MNEMONIC.has(r.mnemonic16)) ROW_BY_MNEMONIC.set(r.mnemonic16, r);
/** Shifts and rotates by 1 (D1) define OF; by another count (C1) they leave it undefined. */
const SHIFT_BY_ONE = new Map(rowsOf(0xd1).map((r) => [r.mnemonic, r]));
/** The flags defined after `mnemonic` (per the table: unchanged, or written and not left
 *  undefined) when `defined` were defined before. `byOne`: the shift/rotate-by-1 form. */
function flagsAfter(mnemonic: string, defined: number, byOne = false): number {
  const row = (byOne ? SHIFT_BY_ONE.get(mnemonic) : undefined) ?? ROW_BY_MNEMONIC.get(mnemonic);
  if (row === undefined) throw new Error(`random-program: no opcode table row for ${mnemonic}`);
  return (defined & ~row.flagsWritten) | (row.flagsWritten & ~row.flagsUndefined);
}

/** xorshift32: small, fast, and the same sequence on every host. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed ^ 0x9e3779b9) >>> 0 || 1;
    for (let i = 0; i < 8; i++) this.u32();
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** A 32-bit value biased towards the edges where flags logic goes wrong. */
  edgy(): number {
    const edges = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff];
    return this.int(3) === 0 ? this.pick(edges) : this.u32();
  }
}

const REG32 = ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"] as const;
const REG16 = ["ax", "bx", "cx", "dx", "si", "di", "bp"] as const;
const REG8 = ["al", "bl", "cl", "dl", "ah", "bh", "ch", "dh"] as const;
type Size = 8 | 16 | 32;
const regsOf = (size: Size): readonly string[] => (size === 32 ? REG32 : size === 16 ? REG16 : REG8);
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const sizeName = (size: Size) => (size === 32 ? "dword" : size === 16 ? "word" : "byte");

interface Condition {
  cc: string;
  reads: number;
}
/** The condition codes and the flags each reads: the Jcc rows (70-7F). */
const CONDITIONS: Condition[] = Array.from({ length: 16 }, (_, n) => {
  const row = rowsOf(0x70 + n)[0]!;
  return { cc: row.mnemonic.slice(1), reads: row.flagsRead };
});
/** Group 1 (ALU), group 2 (shifts/rotates), group 3 and the BT group, from their rows. */
const ALU = mnemonicsOf(0x80);
const ALU_TEST = [...ALU, ...mnemonicsOf(0x84)];
const ROTATES = mnemonicsOf(0xc1, [0, 1]);
const ROTATES_CARRY = mnemonicsOf(0xc1, [2, 3]);
const SHIFTS = mnemonicsOf(0xc1, [4, 5, 7]);
const INC_DEC = mnemonicsOf(0xfe);
const MUL = mnemonicsOf(0xf7, [4, 5]);
const BT = mnemonicsOf(0x100 + 0xba);
const BIT_SCAN = [...mnemonicsOf(0x100 + 0xbc), ...mnemonicsOf(0x100 + 0xbd)];
const DOUBLE_SHIFTS = [...mnemonicsOf(0x100 + 0xa4), ...mnemonicsOf(0x100 + 0xac)];
const EXTENDS = [...mnemonicsOf(0x100 + 0xb6), ...mnemonicsOf(0x100 + 0xbe)];
/** Sign extensions of eAX (98, 99) in both operand sizes. */
const CONVERTS = [0x98, 0x99].flatMap((op) => rowsOf(op).flatMap((r) => [r.mnemonic16!, r.mnemonic]));
const DECIMAL = [0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5].flatMap((op) => mnemonicsOf(op));
/** String instructions (A4-AF) by kind. */
const STRINGS = [...new Set([0xa4, 0xaa, 0xa6, 0xae, 0xac].flatMap((op) => mnemonicsOf(op)))];

export interface GeneratedProgram {
  source: string;
  /** The instruction(s) each DUMP tag follows, for mismatch reports. */
  steps: string[];
  /** Mnemonics used (coverage). */
  mnemonics: Set<string>;
}

/** Where a random stream runs: 32-bit flat protected mode (the harness's own mode; `pm32paging`
 *  with paging on: 4 KiB pages for the first 4 MiB, where the image and its scratch live, and
 *  4 MiB pages above), or 16-bit
 *  code (default operand/address size 16, with 0x66/0x67 prefixes for the 32-bit forms) in real
 *  mode or in 16-bit protected mode, entered and left through sys.inc's call_real/call_pm16. */
export type RandomMode = "pm32" | "pm32paging" | "real16" | "pm16";

/** Bytes of scratch memory the stream initializes and uses (32-bit: the harness's `scratch`;
 *  16-bit: SCRATCH16, below the 16-bit stack, reachable with 16-bit addresses). */
const SCRATCH_BYTES = 128;
const SCRATCH16 = "0x6000";

export function generateRandomProgram(seed: number, length = 200, mode: RandomMode = "pm32"): GeneratedProgram {
  const rng = new Rng(seed);
  const bits16 = mode === "real16" || mode === "pm16";
  const base = bits16 ? SCRATCH16 : "scratch";
  const lines: string[] = [`; random instruction stream, seed ${seed}, ${mode}`, `%include "harness.inc"`, "test_main:"];
  // (the harness's own GDT: the Multiboot loader's one need not hold the selectors it left loaded)
  if (!bits16) lines.push("  call sys_init");
  if (mode === "pm32paging") {
    lines.push(
      "  mov edi, rnd_pt", "  mov eax, 0x003", "  mov ecx, 1024", ".pte:", "  mov [edi], eax", "  add eax, 0x1000", "  add edi, 4", "  loop .pte",
      "  mov dword [rnd_pd], rnd_pt + 3", "  mov dword [rnd_pd + 4], 0x400083", "  mov dword [rnd_pd + 8], 0x800083",
      "  mov eax, cr4", "  or eax, 0x10", "  mov cr4, eax", "  mov eax, rnd_pd", "  mov cr3, eax",
      "  mov eax, cr0", "  or eax, 0x80010000", "  mov cr0, eax", "  push dword 2", "  popfd",
    );
  }
  if (bits16) {
    lines.push("  call sys_init", "  mov eax, rnd_main", `  call ${mode === "real16" ? "call_real" : "call_pm16"}`, "  ret");
    lines.push("section low16", "bits 16", "rnd_main:", "  push dword 2", "  popfd");
  }
  const steps: string[] = [];
  const mnemonics = new Set<string>();
  let defined = 0; // flags defined now (set by `push 2; popfd`, all known zero)
  defined = ARITH;
  for (const r of REG32) lines.push(`  mov ${r}, ${hex(rng.edgy())}`);
  for (let i = 0; i < SCRATCH_BYTES / 4; i++) lines.push(`  mov dword [${base} + ${i * 4}], ${hex(rng.edgy())}`);

  const emit = (instrs: string[], after: number) => {
    for (const ins of instrs) {
      lines.push(`  ${ins}`);
      // the mnemonic with its prefixes ("a32 rep movsb")
      const words = ins.split(/\s+/);
      let n = 1;
      while (n < words.length && /^(rep|repe|repne|a32|o32|lock)$/.test(words[n - 1]!)) n++;
      mnemonics.add(words.slice(0, n).join(" "));
    }
    defined = after;
    steps.push(instrs.join("; "));
    lines.push(`  ${bits16 ? "DUMP16" : "DUMP"} ${steps.length}, ${hex(defined)}`);
  };
  const needCF = (): string[] => (defined & CF ? [] : [rng.int(2) ? "stc" : "clc"]);
  const reg = (size: Size) => rng.pick(regsOf(size));
  const imm = (size: Size) => hex(rng.edgy() & (size === 32 ? 0xffffffff : size === 16 ? 0xffff : 0xff));
  const mem = (size: Size) => `${sizeName(size)} [${base} + ${rng.int(16) * 4 + (size === 32 ? 0 : rng.int(size === 16 ? 3 : 4))}]`;
  const size = (): Size => rng.pick([8, 16, 32, 32] as const);

  const templates: (() => void)[] = [
    // ALU on a memory operand through base + index addressing (32-bit: [base + index*scale + disp];
    // 16-bit: [bx + si/di + disp] or [bp + si + disp] with SS = DS).
    () => {
      const op = rng.pick([...ALU_TEST, "mov"]);
      const s = size();
      const src = rng.int(2) ? reg(s) : imm(s);
      const disp = rng.int(8);
      let setup: string[];
      let addr: string;
      if (bits16) {
        const [b, i] = rng.pick([["bx", "si"], ["bx", "di"], ["bp", "si"], ["bp", "di"]] as const);
        setup = [`mov ${b}, ${base} + ${rng.int(8) * 4}`, `mov ${i}, ${rng.int(8) * 4}`];
        addr = `[${b} + ${i} + ${disp}]`;
      } else {
        const scale = rng.pick([1, 2, 4, 8]);
        setup = [`mov esi, scratch + ${rng.int(8) * 4}`, `mov ecx, ${rng.int(8)}`];
        addr = `[esi + ecx*${scale} + ${disp}]`;
      }
      // (a register source may be one of the address registers: its new value is what is used)
      const pre = op === "adc" || op === "sbb" ? needCF() : [];
      emit([...setup, ...pre, `${op} ${sizeName(s)} ${addr}, ${src}`], flagsAfter(op, defined));
    },
    // Segment overrides: in real mode through a segment whose base is the scratch area (0x600:k);
    // elsewhere through ES/FS/GS/SS holding the flat data selector.
    () => {
      const seg = rng.pick(["es", "fs", "gs", "ss"]);
      const op = rng.pick(["add", "sub", "xor", "mov", "cmp", "adc"]);
      const s = size();
      const k = rng.int(16) * 4 + (s === 32 ? 0 : rng.int(s === 16 ? 3 : 4));
      const pre = op === "adc" ? needCF() : [];
      const after = flagsAfter(op, defined);
      if (mode === "real16") {
        if (seg === "ss") return emit([...pre, `${op} ${sizeName(s)} [ss:${SCRATCH16} + ${k}], ${reg(s)}`], after);
        // (the segment goes back to 0 in the same step: string instructions use ES)
        emit([`push word ${Number.parseInt(SCRATCH16, 16) >> 4}`, `pop ${seg}`, ...pre, `${op} ${reg(s)}, ${sizeName(s)} [${seg}:${k}]`, "push word 0", `pop ${seg}`], after);
      } else {
        if (bits16 || seg === "ss") return emit([...pre, `${op} ${reg(s)}, ${sizeName(s)} [${seg}:${base} + ${k}]`], after);
        emit(["push SEL_DATA0", `pop ${seg}`, ...pre, `${op} ${sizeName(s)} [${seg}:${base} + ${k}], ${reg(s)}`], after);
      }
    },
    // String instructions with REP prefixes in both directions, inside the scratch area.
    () => {
      const kind = rng.pick(STRINGS);
      const unit = rng.pick(["b", "w", "d"] as const);
      const width = unit === "b" ? 1 : unit === "w" ? 2 : 4;
      const count = 1 + rng.int(6);
      const down = rng.int(2) === 1;
      const span = count * width;
      const start = () => (down ? span - width + rng.int(SCRATCH_BYTES / 2 - span) : rng.int(SCRATCH_BYTES / 2 - span));
      const [si, di, cx] = bits16 ? ["si", "di", "cx"] : ["esi", "edi", "ecx"];
      const a32 = bits16 && rng.int(3) === 0;
      const [si2, di2, cx2] = a32 ? ["esi", "edi", "ecx"] : [si, di, cx];
      const setup = [`mov ${si2}, ${base} + ${start()}`, `mov ${di2}, ${base} + ${SCRATCH_BYTES / 2 + start()}`, `mov ${cx2}, ${count}`];
      const prefix = kind === "cmps" || kind === "scas" ? rng.pick(["repe", "repne"]) : kind === "lods" ? "" : "rep";
      const ins = `${a32 ? "a32 " : ""}${prefix ? `${prefix} ` : ""}${kind}${unit}`;
      emit([...setup, down ? "std" : "cld", ins, "cld"], flagsAfter(kind, defined));
    },
    // Two-operand ALU: reg/reg, reg/imm, reg/mem, mem/reg.
    () => {
      const op = rng.pick(ALU_TEST);
      const s = size();
      const form = rng.int(4);
      const [dst, src] =
        form === 0 ? [reg(s), reg(s)] : form === 1 ? [reg(s), imm(s)] : form === 2 ? [reg(s), mem(s)] : [mem(s), reg(s)];
      const pre = op === "adc" || op === "sbb" ? needCF() : [];
      emit([...pre, `${op} ${dst}, ${src}`], flagsAfter(op, defined));
    },
    () => {
      const op = rng.pick(INC_DEC);
      const s = size();
      emit([`${op} ${rng.int(3) ? reg(s) : mem(s)}`], flagsAfter(op, defined));
    },
    () => emit([`neg ${reg(size())}`], flagsAfter("neg", defined)),
    () => emit([`not ${reg(size())}`], flagsAfter("not", defined)),
    // Shifts by an immediate below the operand size (larger counts leave CF undefined for 8/16-bit).
    () => {
      const op = rng.pick(SHIFTS);
      const s = size();
      const count = rng.int(s) ; // 0..size-1
      if (count === 0) return emit([`${op} ${reg(s)}, 0`], defined);
      emit([`${op} ${reg(s)}, ${count}`], flagsAfter(op, defined, count === 1));
    },
    () => {
      const op = rng.pick(ROTATES);
      const s = size();
      const count = 1 + rng.int(s - 1);
      emit([`${op} ${reg(s)}, ${count}`], flagsAfter(op, defined, count === 1));
    },
    () => {
      const op = rng.pick(ROTATES_CARRY);
      const s = size();
      const count = 1 + rng.int(s - 1);
      emit([...needCF(), `${op} ${reg(s)}, ${count}`], flagsAfter(op, defined, count === 1));
    },
    // Shift by CL (count masked to 5 bits by the CPU); 32-bit so every count below 32 is defined.
    () => {
      const op = rng.pick(SHIFTS);
      const count = 1 + rng.int(31);
      const dst = rng.pick(REG32.filter((r) => r !== "ecx"));
      emit([`mov cl, ${count}`, `${op} ${dst}, cl`], flagsAfter(op, defined, count === 1));
    },
    () => {
      const op = rng.pick(DOUBLE_SHIFTS);
      const count = 1 + rng.int(31);
      emit([`${op} ${reg(32)}, ${reg(32)}, ${count}`], flagsAfter(op, defined) | (count === 1 ? OF : 0));
    },
    // Multiplication: only CF and OF are defined.
    () => {
      const s = size();
      const op = rng.pick(MUL);
      emit([`${op} ${reg(s)}`], flagsAfter(op, defined));
    },
    () => {
      const s = rng.pick([16, 32] as const);
      emit([rng.int(2) ? `imul ${reg(s)}, ${reg(s)}` : `imul ${reg(s)}, ${reg(s)}, ${imm(s)}`], flagsAfter("imul", defined));
    },
    // Division with a divisor that cannot fault; every flag is undefined afterwards.
    () => {
      const signed = rng.int(2) === 1;
      const d = rng.pick(["ebx", "ecx", "esi", "edi", "ebp"]);
      const setup = signed ? ["cdq", `and ${d}, 0x7fffffff`, `or ${d}, 1`] : ["xor edx, edx", `or ${d}, 1`];
      emit([...setup, `${signed ? "idiv" : "div"} ${d}`], flagsAfter(signed ? "idiv" : "div", defined));
    },
    () => {
      const op = rng.pick(BIT_SCAN);
      const s = rng.pick([16, 32] as const);
      const src = reg(s);
      const dst = reg(s);
      emit([`or ${src}, ${hex(1 << rng.int(s))}`, `${op} ${dst}, ${src}`], flagsAfter(op, defined));
    },
    () => {
      const op = rng.pick(BT);
      const s = rng.pick([16, 32] as const);
      emit([`${op} ${reg(s)}, ${rng.int(s)}`], flagsAfter(op, defined));
    },
    () => emit([`bswap ${reg(32)}`], defined),
    () => {
      const op = rng.pick(EXTENDS);
      const s = rng.pick([8, 16] as const);
      emit([`${op} ${reg(32)}, ${rng.int(2) ? reg(s) : mem(s)}`], defined);
    },
    () => {
      const s = size();
      emit([`xchg ${reg(s)}, ${rng.int(2) ? reg(s) : mem(s)}`], defined);
    },
    () => {
      const s = size();
      emit([`xadd ${rng.int(2) ? reg(s) : mem(s)}, ${reg(s)}`], flagsAfter("xadd", defined));
    },
    () => {
      const s = size();
      emit([`cmpxchg ${rng.int(2) ? reg(s) : mem(s)}, ${reg(s)}`], flagsAfter("cmpxchg", defined));
    },
    () => emit([`lea ${reg(32)}, [${reg(32)} + ${reg(32)}*${rng.pick([1, 2, 4, 8])} + ${hex(rng.u32() & 0xfff)}]`], defined),
    () => emit([rng.pick(CONVERTS)], defined),
    () => {
      const usable = CONDITIONS.filter((c) => (c.reads & defined) === c.reads);
      if (usable.length === 0) return emit(["clc"], defined | CF);
      const c = rng.pick(usable);
      emit([rng.int(2) ? `set${c.cc} ${reg(8)}` : `cmov${c.cc} ${reg(32)}, ${rng.int(2) ? reg(32) : mem(32)}`], defined);
    },
    () => {
      const op = rng.pick(mnemonicsOf(0xf8).concat(mnemonicsOf(0xf9)));
      emit([op], flagsAfter(op, defined));
    },
    // Rotates and shifts by CL with any count below 32 (the count is masked to 5 bits; RCL/RCR of
    // 8/16-bit operands rotate by the count modulo 9/17). Flag definedness per the SDM: nothing
    // changes for a masked count of 0; OF only for a count of 1; AF undefined after shifts; CF
    // undefined after SHL/SHR of 8/16-bit operands by their size or more.
    () => {
      const op = rng.pick([...ROTATES, ...ROTATES_CARRY, ...SHIFTS]);
      const s = size();
      const count = rng.int(32);
      const dst = rng.int(3) ? rng.pick(regsOf(s).filter((r) => !/^(cl|ch|cx|ecx)$/.test(r))) : mem(s);
      const pre = (op === "rcl" || op === "rcr") && count !== 0 ? needCF() : [];
      let after = defined;
      if (count !== 0) {
        if (op === "rol" || op === "ror") after = (defined & ~(CF | OF)) | CF | (count === 1 ? OF : 0);
        else if (op === "rcl" || op === "rcr") {
          const temp = s === 32 ? count : count % (s + 1);
          after = (defined & ~(CF | OF)) | (temp !== 0 ? CF : defined & CF) | (count === 1 ? OF : 0);
          if (pre.length) after |= CF;
        } else {
          const cfOk = op === "sar" || count < s;
          after = (ARITH & ~AF & ~OF & ~CF) | (cfOk ? CF : 0) | (count === 1 ? OF : 0);
        }
      }
      emit([...pre, `mov cl, ${count}`, `${op} ${dst}, cl`], after);
    },
    () => {
      const op = rng.pick(DOUBLE_SHIFTS);
      const s = rng.pick([16, 32] as const);
      const count = rng.int(s === 16 ? 17 : 32); // above 16 the 16-bit result is undefined
      const regs = regsOf(s).filter((r) => !/^(cx|ecx)$/.test(r));
      const dst = rng.int(3) ? rng.pick(regs) : mem(s);
      const after = count === 0 ? defined : flagsAfter(op, defined) | (count === 1 ? OF : 0);
      emit([`mov cl, ${count}`, `${op} ${dst}, ${rng.pick(regs)}, cl`], after);
    },
    // Decimal adjust: flags as the SDM defines them for each.
    () => {
      const op = rng.pick(DECIMAL);
      const setup = [`mov ax, ${hex(rng.edgy() & 0xffff)}`, rng.pick(["add al, ah", "sub al, ah", "add al, 0x27", "sub al, 0x13"])];
      const after = flagsAfter(op, defined);
      const ins = op === "aam" ? `aam ${1 + rng.int(255)}` : op === "aad" ? `aad ${rng.int(256)}` : op;
      emit([...setup, ins], after);
    },
    // Stack: push/pop of registers, memory and immediates.
    () => {
      const s = rng.pick([16, 32] as const);
      const src = rng.int(3) === 0 ? mem(s) : rng.int(2) ? reg(s) : imm(s);
      const imm16 = !src.includes("[") && !/^[a-z]/.test(src);
      const push = imm16 ? `push ${sizeName(s)} ${src}` : `push ${src}`;
      emit([push, `pop ${rng.int(3) === 0 ? mem(s) : reg(s)}`], defined);
    },
    // Divide with every operand size (the dividend's upper half cleared so no #DE).
    () => {
      const s = size();
      const d = rng.pick(s === 8 ? ["bl", "cl", "dh", "bh"] : s === 16 ? ["bx", "cx", "si", "di"] : ["ebx", "ecx", "esi", "edi"]);
      const clear = s === 8 ? "mov ah, 0" : s === 16 ? "xor dx, dx" : "xor edx, edx";
      // unsigned: divisor >= 2^(s-1); signed: 2^(s-2) <= divisor < 2^(s-1) (non-negative dividend below 2^s)
      const signed = rng.int(2) === 1;
      const fix = signed
        ? [`and ${d}, ${hex(2 ** (s - 1) - 1)}`, `or ${d}, ${hex(2 ** (s - 2))}`]
        : [`or ${d}, ${hex(2 ** (s - 1))}`];
      emit([clear, ...fix, `${signed ? "idiv" : "div"} ${d}`], 0);
    },
    // Multiply forms with memory operands.
    () => {
      const s = rng.pick([16, 32] as const);
      const form = rng.int(3);
      const ins = form === 0 ? `${rng.pick(MUL)} ${mem(size())}` : form === 1 ? `imul ${reg(s)}, ${mem(s)}` : `imul ${reg(s)}, ${mem(s)}, ${rng.int(256) - 128}`;
      emit([ins], flagsAfter("imul", defined));
    },
    // BT family with a register bit offset on registers (offset modulo the size).
    () => {
      const op = rng.pick(BT);
      const s = rng.pick([16, 32] as const);
      emit([`${op} ${reg(s)}, ${reg(s)}`], flagsAfter(op, defined));
    },
    () => {
      const op = rng.pick(mnemonicsOf(0xf7, [3, 2]));
      emit([`${op} ${mem(size())}`], flagsAfter(op, defined));
    },
    // LAHF only when every flag it copies is defined; SAHF defines them.
    () => {
      const need = ROW_BY_MNEMONIC.get("lahf")!.flagsRead;
      if ((defined & need) === need) emit(["lahf"], flagsAfter("lahf", defined));
      else emit([`mov ah, ${hex(rng.int(256))}`, "sahf"], flagsAfter("sahf", defined));
    },
    () => {
      emit([`mov ebx, ${base}`, `mov al, ${rng.int(SCRATCH_BYTES)}`, bits16 ? "a32 xlatb" : "xlatb"], defined);
    },
    () => {
      const m = `qword [${base} + ${rng.int(SCRATCH_BYTES / 8) * 8}]`;
      emit([`${rng.int(2) ? "lock " : ""}cmpxchg8b ${m}`], flagsAfter("cmpxchg8b", defined));
    },
    () => (defined & CF ? emit(["cmc"], flagsAfter("cmc", defined)) : emit(["stc"], flagsAfter("stc", defined))),
    () => {
      const s = size();
      emit([`mov ${mem(s)}, ${reg(s)}`], defined);
    },
  ];

  for (let i = 0; i < length; i++) rng.pick(templates)();
  if (bits16) {
    lines.push(`  DUMPMEM16 0xffff, ${base}, ${SCRATCH_BYTES / 4}`, "  ret", "bits 32", "section .text", `%include "sys.inc"`);
  } else lines.push(`  DUMPMEM 0xffff, scratch, ${SCRATCH_BYTES / 4}`, "  ret");
  if (mode === "pm32paging") lines.push("align 4096", "rnd_pd: times 1024 dd 0", "rnd_pt: times 1024 dd 0");
  if (!bits16) lines.push(`%include "sys.inc"`);
  lines.push(`%include "harness-end.inc"`, "");
  return { source: lines.join("\n"), steps, mnemonics };
}
