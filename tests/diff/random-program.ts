// Seeded random instruction streams for the differential CPU tests. Each instruction is followed by
// a DUMP of the registers and of the flags that are architecturally defined at that point (the
// generator tracks which flags earlier instructions left undefined, and only lets flag readers use
// defined ones), so any difference between QEMU and Hypertab is a real CPU difference.

const CF = 0x001, PF = 0x004, AF = 0x010, ZF = 0x040, SF = 0x080, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;

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
const CONDITIONS: Condition[] = [
  { cc: "o", reads: OF }, { cc: "no", reads: OF }, { cc: "b", reads: CF }, { cc: "ae", reads: CF },
  { cc: "e", reads: ZF }, { cc: "ne", reads: ZF }, { cc: "be", reads: CF | ZF }, { cc: "a", reads: CF | ZF },
  { cc: "s", reads: SF }, { cc: "ns", reads: SF }, { cc: "p", reads: PF }, { cc: "np", reads: PF },
  { cc: "l", reads: SF | OF }, { cc: "ge", reads: SF | OF }, { cc: "le", reads: ZF | SF | OF }, { cc: "g", reads: ZF | SF | OF },
];

export interface GeneratedProgram {
  source: string;
  /** The instruction(s) each DUMP tag follows, for mismatch reports. */
  steps: string[];
  /** Mnemonics used (coverage). */
  mnemonics: Set<string>;
}

export function generateRandomProgram(seed: number, length = 200): GeneratedProgram {
  const rng = new Rng(seed);
  const lines: string[] = [`; random instruction stream, seed ${seed}`, `%include "harness.inc"`, "test_main:"];
  const steps: string[] = [];
  const mnemonics = new Set<string>();
  let defined = 0; // flags defined now (set by `push 2; popfd`, all known zero)
  defined = ARITH;
  for (const r of REG32) lines.push(`  mov ${r}, ${hex(rng.edgy())}`);
  for (let i = 0; i < 16; i++) lines.push(`  mov dword [scratch + ${i * 4}], ${hex(rng.edgy())}`);

  const emit = (instrs: string[], after: number) => {
    for (const ins of instrs) {
      lines.push(`  ${ins}`);
      mnemonics.add(ins.split(/\s+/)[0]!);
    }
    defined = after;
    steps.push(instrs.join("; "));
    lines.push(`  DUMP ${steps.length}, ${hex(defined)}`);
  };
  const needCF = (): string[] => (defined & CF ? [] : [rng.int(2) ? "stc" : "clc"]);
  const reg = (size: Size) => rng.pick(regsOf(size));
  const imm = (size: Size) => hex(rng.edgy() & (size === 32 ? 0xffffffff : size === 16 ? 0xffff : 0xff));
  const mem = (size: Size) => `${sizeName(size)} [scratch + ${rng.int(16) * 4 + (size === 32 ? 0 : rng.int(size === 16 ? 3 : 4))}]`;
  const size = (): Size => rng.pick([8, 16, 32, 32] as const);

  const templates: (() => void)[] = [
    // Two-operand ALU: reg/reg, reg/imm, reg/mem, mem/reg.
    () => {
      const op = rng.pick(["add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test"]);
      const s = size();
      const form = rng.int(4);
      const [dst, src] =
        form === 0 ? [reg(s), reg(s)] : form === 1 ? [reg(s), imm(s)] : form === 2 ? [reg(s), mem(s)] : [mem(s), reg(s)];
      const pre = op === "adc" || op === "sbb" ? needCF() : [];
      const logic = ["and", "or", "xor", "test"].includes(op);
      emit([...pre, `${op} ${dst}, ${src}`], logic ? ARITH & ~AF : ARITH);
    },
    () => {
      const op = rng.pick(["inc", "dec"]);
      const s = size();
      emit([`${op} ${rng.int(3) ? reg(s) : mem(s)}`], (defined & CF) | (ARITH & ~CF));
    },
    () => emit([`neg ${reg(size())}`], ARITH),
    () => emit([`not ${reg(size())}`], defined),
    // Shifts by an immediate below the operand size (larger counts leave CF undefined for 8/16-bit).
    () => {
      const op = rng.pick(["shl", "shr", "sar"]);
      const s = size();
      const count = rng.int(s) ; // 0..size-1
      if (count === 0) return emit([`${op} ${reg(s)}, 0`], defined);
      emit([`${op} ${reg(s)}, ${count}`], count === 1 ? ARITH & ~AF : ARITH & ~AF & ~OF);
    },
    () => {
      const op = rng.pick(["rol", "ror"]);
      const s = size();
      const count = 1 + rng.int(s - 1);
      emit([`${op} ${reg(s)}, ${count}`], (defined & ~(CF | OF)) | CF | (count === 1 ? OF : 0));
    },
    () => {
      const op = rng.pick(["rcl", "rcr"]);
      const s = size();
      const count = 1 + rng.int(s - 1);
      emit([...needCF(), `${op} ${reg(s)}, ${count}`], (defined & ~(CF | OF)) | CF | (count === 1 ? OF : 0));
    },
    // Shift by CL (count masked to 5 bits by the CPU); 32-bit so every count below 32 is defined.
    () => {
      const op = rng.pick(["shl", "shr", "sar"]);
      const count = 1 + rng.int(31);
      const dst = rng.pick(REG32.filter((r) => r !== "ecx"));
      emit([`mov cl, ${count}`, `${op} ${dst}, cl`], count === 1 ? ARITH & ~AF : ARITH & ~AF & ~OF);
    },
    () => {
      const op = rng.pick(["shld", "shrd"]);
      const count = 1 + rng.int(31);
      emit([`${op} ${reg(32)}, ${reg(32)}, ${count}`], (ARITH & ~AF & ~OF) | (count === 1 ? OF : 0));
    },
    // Multiplication: only CF and OF are defined.
    () => {
      const s = size();
      const op = rng.pick(["mul", "imul"]);
      emit([`${op} ${reg(s)}`], CF | OF);
    },
    () => {
      const s = rng.pick([16, 32] as const);
      emit([rng.int(2) ? `imul ${reg(s)}, ${reg(s)}` : `imul ${reg(s)}, ${reg(s)}, ${imm(s)}`], CF | OF);
    },
    // Division with a divisor that cannot fault; every flag is undefined afterwards.
    () => {
      const signed = rng.int(2) === 1;
      const d = rng.pick(["ebx", "ecx", "esi", "edi", "ebp"]);
      const setup = signed ? ["cdq", `and ${d}, 0x7fffffff`, `or ${d}, 1`] : ["xor edx, edx", `or ${d}, 1`];
      emit([...setup, `${signed ? "idiv" : "div"} ${d}`], 0);
    },
    () => {
      const op = rng.pick(["bsf", "bsr"]);
      const s = rng.pick([16, 32] as const);
      const src = reg(s);
      const dst = reg(s);
      emit([`or ${src}, ${hex(1 << rng.int(s))}`, `${op} ${dst}, ${src}`], ZF);
    },
    () => {
      const op = rng.pick(["bt", "bts", "btr", "btc"]);
      const s = rng.pick([16, 32] as const);
      emit([`${op} ${reg(s)}, ${rng.int(s)}`], (defined & ZF) | CF);
    },
    () => emit([`bswap ${reg(32)}`], defined),
    () => {
      const op = rng.pick(["movzx", "movsx"]);
      const s = rng.pick([8, 16] as const);
      emit([`${op} ${reg(32)}, ${rng.int(2) ? reg(s) : mem(s)}`], defined);
    },
    () => {
      const s = size();
      emit([`xchg ${reg(s)}, ${rng.int(2) ? reg(s) : mem(s)}`], defined);
    },
    () => {
      const s = size();
      emit([`xadd ${rng.int(2) ? reg(s) : mem(s)}, ${reg(s)}`], ARITH);
    },
    () => {
      const s = size();
      emit([`cmpxchg ${rng.int(2) ? reg(s) : mem(s)}, ${reg(s)}`], ARITH);
    },
    () => emit([`lea ${reg(32)}, [${reg(32)} + ${reg(32)}*${rng.pick([1, 2, 4, 8])} + ${hex(rng.u32() & 0xfff)}]`], defined),
    () => emit([rng.pick(["cbw", "cwde", "cwd", "cdq"])], defined),
    () => {
      const usable = CONDITIONS.filter((c) => (c.reads & defined) === c.reads);
      if (usable.length === 0) return emit(["clc"], defined | CF);
      const c = rng.pick(usable);
      emit([rng.int(2) ? `set${c.cc} ${reg(8)}` : `cmov${c.cc} ${reg(32)}, ${rng.int(2) ? reg(32) : mem(32)}`], defined);
    },
    () => emit([rng.pick(["clc", "stc"])], defined | CF),
    () => (defined & CF ? emit(["cmc"], defined) : emit(["stc"], defined | CF)),
    () => {
      const s = size();
      emit([`mov ${mem(s)}, ${reg(s)}`], defined);
    },
  ];

  for (let i = 0; i < length; i++) rng.pick(templates)();
  lines.push("  DUMPMEM 0xffff, scratch, 16", "  ret", `%include "harness-end.inc"`, "");
  return { source: lines.join("\n"), steps, mnemonics };
}
