// Seeded random x87 and SSE/SSE2 instruction streams for the differential CPU tests. Every step is
// followed by a dump of the whole x87 state (x87 streams: control/status/tag words and ST0..ST7) or
// of MXCSR and XMM0..XMM7 (SSE streams), plus the integer registers and flags where an instruction
// writes them. Operands come from pools biased towards the edges (zeros, infinities, NaNs, the
// largest/smallest normals, values that round). All exceptions stay masked.
//
// What is compared follows the SDM and the suite's masks (README.md): the x87 stack depth is
// tracked so no step under- or overflows the stack (QEMU 7.2 does not detect stack faults); FSW's
// C0/C2/C3 are compared only after an instruction that defines them, C1 only where it is not the
// round-up indicator (FPREM/FPREM1/FXAM); FSW.DE and MXCSR.DE are masked (QEMU 7.2 does not report
// denormal operands).

import { Rng } from "./random-program.ts";
import { OPCODE_ROWS } from "../../src/emulator/cpu/opcode-table.ts";

/** FCMOVcc (DA/DB register forms, reg 0-3), from the CPU's opcode table. */
const FCMOV = OPCODE_ROWS.filter((r) => (r.op === 0xda || r.op === 0xdb) && r.mod === "reg" && r.reg < 4).map((r) => r.mnemonic);

export interface GeneratedFpProgram {
  source: string;
  steps: string[];
  mnemonics: Set<string>;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, DE = 0x2;

/** 64-bit doubles (as hex) for the pools: edges and ordinary values. */
const DOUBLES = [
  "0x0000000000000000", "0x8000000000000000", "0x3ff0000000000000", "0xbff0000000000000", "0x3ff8000000000000",
  "0x400921fb54442d18", "0x7fefffffffffffff", "0x0010000000000000", "0x7ff0000000000000", "0xfff0000000000000",
  "0x7ff8000000000000", "0x7ff4000000000001", "0x43e0000000000000", "0x3fd5555555555555", "0xc0934a456d5cfaad",
  "0x3e112e0be826d695", "0x4415af1d78b58c40", "0xc1d0000000000001", "0x3fe0000000000001", "0x40f86a0000000000",
];
const FLOATS = [
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40490fdb, 0x7f7fffff, 0x00800000, 0x7f800000,
  0xff800000, 0x7fc00000, 0x7fa00001, 0x4f000000, 0x3eaaaaab, 0xc61c4000, 0x33d6bf95, 0x5f800000, 0xcf000001,
  0x3f000001, 0x47c35000,
];

export type FpKind = "x87" | "sse";

export function generateRandomFpProgram(seed: number, length: number, kind: FpKind): GeneratedFpProgram {
  const rng = new Rng(seed ^ (kind === "x87" ? 0x87 : 0x55e));
  const lines: string[] = [`; random ${kind} stream, seed ${seed}`, `%include "harness.inc"`, "test_main:", "  call sys_init", "  call fpu_init"];
  const steps: string[] = [];
  const mnemonics = new Set<string>();
  const data: string[] = ["align 16"];
  const random64 = () => `0x${rng.u32().toString(16).padStart(8, "0")}${rng.u32().toString(16).padStart(8, "0")}`;
  // Pools: the only NaN in them is the default NaN (negative QNaN indefinite) of each format, so
  // whenever two NaNs meet they are the same value: QEMU 7.2 chooses between two NaN operands
  // differently from the SDM (Table 4-7) in places (SSE: larger significand instead of the first
  // operand; x87: a memory SNaN is quieted before the choice, FSCALE prefers ST1; README.md).
  // Hand-written programs cover NaN operands one at a time.
  const f32 = (v: number) => ((v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0 ? 0xffc00000 : v);
  const f64 = (v: string) => (/^0x[7f]ff[0-9a-f]/.test(v) && !/^0x[7f]ff0000000000000$/.test(v) ? "0xfff8000000000000" : v);
  // pools: 24 doubles, 24 floats, 8 extended, integers of each size
  data.push(`fpool64: dq ${Array.from({ length: 24 }, () => f64(rng.int(4) ? rng.pick(DOUBLES) : random64())).join(", ")}`);
  data.push(`fpool32: dd ${Array.from({ length: 24 }, () => hex(f32(rng.int(4) ? rng.pick(FLOATS) : rng.u32()))).join(", ")}`);
  data.push("fpool80:");
  for (let i = 0; i < 8; i++) {
    const exp = rng.pick([0x3fff, 0x4000, 0x3ffe, 0x7ffe, 0x0001, 0x7fff, 0xffff, 0xbfff, 0xc03e, 0x401d]);
    const mant = (exp & 0x7fff) === 0x7fff ? (exp === 0xffff ? "0xc000000000000000" : "0x8000000000000000") // indefinite, +inf
      : rng.int(3) ? `${random64()} | 0x8000000000000000` : "0x8000000000000000";
    data.push(`  dq ${mant}`, `  dw ${hex(exp)}`);
  }
  data.push(`ipool16: dw ${Array.from({ length: 8 }, () => hex(rng.edgy() & 0xffff)).join(", ")}`);
  data.push(`ipool32: dd ${Array.from({ length: 8 }, () => hex(rng.edgy())).join(", ")}`);
  // SSE pools: the same, and see the register domains below
  data.push("align 16", `xpool: dd ${Array.from({ length: 64 }, () => hex(f32(rng.int(3) ? rng.pick(FLOATS) : rng.int(2) ? rng.edgy() : rng.u32()))).join(", ")}`);
  data.push(`xpoolpd: dq ${Array.from({ length: 32 }, () => f64(rng.int(3) ? rng.pick(DOUBLES) : random64())).join(", ")}`);
  data.push("fout: times 16 db 0", "cw: dw 0", "align 4", "mx: dd 0");

  const emit = (instrs: string[], dumps: string[]) => {
    for (const ins of instrs) {
      lines.push(`  ${ins}`);
      mnemonics.add(ins.split(/\s+/)[0]!);
    }
    steps.push(instrs.join("; "));
    for (const d of dumps) lines.push(`  ${d.replace("#", String(steps.length))}`);
  };

  if (kind === "x87") {
    let depth = 0;
    const fswMask = (defines: number) => hex(0xffff & ~DE & ~((C0 | C1 | C2 | C3) & ~defines));
    const fpDump = (defines: number) => [`DUMPFPU #, ${fswMask(defines)}`];
    const st = () => rng.int(depth); // an occupied register
    const m64 = () => `qword [fpool64 + ${rng.int(24) * 8}]`;
    const m32 = () => `dword [fpool32 + ${rng.int(24) * 4}]`;
    const m80 = () => `tword [fpool80 + ${rng.int(8) * 10}]`;
    const templates: (() => void)[] = [
      // loads
      () => {
        if (depth >= 8) return;
        const form = rng.int(7);
        const ins =
          form === 0 ? `fld ${m64()}` : form === 1 ? `fld ${m32()}` : form === 2 ? `fld ${m80()}`
          : form === 3 ? `fild word [ipool16 + ${rng.int(8) * 2}]` : form === 4 ? `fild dword [ipool32 + ${rng.int(8) * 4}]`
          : form === 5 && depth > 0 ? `fld st${st()}` : rng.pick(["fld1", "fldz", "fldpi", "fldl2e", "fldl2t", "fldlg2", "fldln2"]);
        depth++;
        emit([ins], fpDump(0));
      },
      // register arithmetic
      () => {
        if (depth < 2) return;
        const op = rng.pick(["fadd", "fsub", "fsubr", "fmul", "fdiv", "fdivr"]);
        const i = 1 + rng.int(depth - 1);
        const form = rng.int(3);
        if (form === 2) {
          depth--;
          emit([`${op}p st${i}, st0`], fpDump(0));
        } else emit([form ? `${op} st0, st${i}` : `${op} st${i}, st0`], fpDump(0));
      },
      // memory arithmetic
      () => {
        if (depth < 1) return;
        const op = rng.pick(["fadd", "fsub", "fsubr", "fmul", "fdiv", "fdivr"]);
        const form = rng.int(4);
        const ins = form === 0 ? `${op} ${m64()}` : form === 1 ? `${op} ${m32()}` : form === 2 ? `fi${op.slice(1)} word [ipool16 + ${rng.int(8) * 2}]` : `fi${op.slice(1)} dword [ipool32 + ${rng.int(8) * 4}]`;
        emit([ins], fpDump(0));
      },
      // unary
      () => {
        if (depth < 1) return;
        // (no FCHS/FABS: they would make a positive default NaN, and between two NaNs that differ
        // only in sign the SDM does not say which one an instruction returns)
        emit([rng.pick(["fsqrt", "frndint"])], fpDump(0));
      },
      () => {
        if (depth < 1 || depth >= 8) return;
        depth++;
        emit(["fxtract"], fpDump(0));
      },
      () => {
        if (depth < 2) return;
        const op = rng.pick(["fscale", "fprem", "fprem1", "fpatan", "fyl2x"]);
        if (op === "fpatan" || op === "fyl2x") depth--;
        // FPREM1's quotient bits (C0/C3/C1): QEMU 7.2 leaves them clear (README.md); C2 is compared
        emit([op], fpDump(op === "fprem" ? C0 | C1 | C2 | C3 : op === "fprem1" ? C2 : 0));
      },
      // comparisons
      () => {
        if (depth < 2) return;
        const op = rng.pick(["fcom", "fucom", "fcomp", "fucomp"]);
        const i = 1 + rng.int(depth - 1);
        if (op.endsWith("p")) depth--;
        emit([`${op} st${i}`], fpDump(C0 | C2 | C3));
      },
      () => {
        if (depth < 1) return;
        const form = rng.int(4);
        const ins = form === 0 ? "ftst" : form === 1 ? "fxam" : form === 2 ? `fcom ${m64()}` : `ficom word [ipool16 + ${rng.int(8) * 2}]`;
        emit([ins], fpDump(C0 | C2 | C3 | (ins === "fxam" ? C1 : 0)));
      },
      () => {
        if (depth < 2) return;
        const op = rng.pick(["fcomi", "fucomi"]);
        const i = 1 + rng.int(depth - 1);
        const fcmov = rng.pick(FCMOV);
        const j = rng.int(depth);
        emit([`${op} st0, st${i}`, `${fcmov} st0, st${j}`], ["DUMP #, FL_ZF | FL_PF | FL_CF", ...fpDump(0)]);
      },
      // stores
      () => {
        if (depth < 1) return;
        const form = rng.int(8);
        const pop = rng.int(2) === 1 || form === 6 || form === 7;
        const ins =
          form === 0 ? `fst${pop ? "p" : ""} qword [fout]` : form === 1 ? `fst${pop ? "p" : ""} dword [fout]`
          : form === 2 ? "fstp tword [fout]" : form === 3 ? `fist${pop ? "p" : ""} word [fout]`
          : form === 4 ? `fist${pop ? "p" : ""} dword [fout]` : form === 5 ? "fistp qword [fout]"
          : form === 6 ? "fbstp [fout]" : "fstp tword [fout]";
        const pops = ins.startsWith("fstp") || ins.startsWith("fistp") || ins.startsWith("fbstp");
        if (pops) depth--;
        lines.push("  mov dword [fout], 0", "  mov dword [fout + 4], 0", "  mov dword [fout + 8], 0");
        emit([ins], [...fpDump(0), "DUMPMEM #, fout, 3"]);
      },
      () => {
        if (depth < 2) return;
        emit([`fxch st${1 + rng.int(depth - 1)}`], fpDump(0));
      },
      // control word (every exception masked)
      () => {
        // rounding control only, precision 64 bits: with 24 or 53, QEMU 7.2 also rounds results the
        // SDM exempts from precision control (FLD/arithmetic memory operand conversions, FPREM,
        // FRNDINT; README.md). Precision control is compared in x87-control.
        const cwv = 0x037f | (rng.int(4) << 10);
        emit([`mov word [cw], ${hex(cwv)}`, "fldcw [cw]"], fpDump(0));
      },
      () => emit(["fnclex"], fpDump(0)),
      () => {
        if (depth < 1) return;
        depth--;
        emit(["fstp st0"], fpDump(0));
      },
    ];
    for (let i = 0; i < length; i++) {
      const before = steps.length;
      while (steps.length === before) rng.pick(templates)();
    }
  } else {
    // Register domains keep NaN propagation comparable: QEMU 7.2 picks between two NaN operands by
    // the x87 rule (larger significand) where the SDM's SSE rule returns the first source operand
    // (SDM Vol. 1 Table 4-7). Single-precision values live in XMM0-1 and `xpool`, doubles in
    // XMM2-3 and `xpoolpd`, and the only NaN either can hold is the default NaN (pools sanitized;
    // invalid operations create it and propagation keeps it), so two NaN operands are always equal.
    // Instructions that make arbitrary bit patterns (logic, integer, compare masks) write XMM4-7.
    const xs = () => `xmm${rng.int(2)}`;
    const xd = () => `xmm${2 + rng.int(2)}`;
    const xi = () => `xmm${4 + rng.int(4)}`;
    const xany = () => `xmm${rng.int(8)}`;
    const memps = () => `[xpool + ${rng.int(16) * 16}]`;
    const mempd = () => `[xpoolpd + ${rng.int(16) * 16}]`;
    const xDump = ["DUMPXMM #, MX_NO_DE"];
    for (let i = 0; i < 8; i++) lines.push(`  movaps xmm${i}, [${i === 2 || i === 3 ? "xpoolpd" : "xpool"} + ${i * 16}]`);
    const templates: (() => void)[] = [
      () => {
        const op = rng.pick(["add", "sub", "mul", "div", "min", "max"]);
        const dbl = rng.int(2) === 1;
        const t = dbl ? rng.pick(["pd", "sd"]) : rng.pick(["ps", "ss"]);
        const reg = dbl ? xd : xs;
        const src = rng.int(3) ? reg() : dbl ? mempd() : memps();
        emit([`${op}${t} ${reg()}, ${src}`], xDump);
      },
      () => (rng.int(2) ? emit([`sqrt${rng.pick(["pd", "sd"])} ${xd()}, ${xd()}`], xDump) : emit([`sqrt${rng.pick(["ps", "ss"])} ${xs()}, ${xs()}`], xDump)),
      () => {
        const dbl = rng.int(2) === 1;
        emit([`cmp${dbl ? rng.pick(["pd", "sd"]) : rng.pick(["ps", "ss"])} ${xi()}, ${dbl ? xd() : xs()}, ${rng.int(8)}`], xDump);
      },
      () => {
        const dbl = rng.int(2) === 1;
        const reg = dbl ? xd : xs;
        emit([`${dbl ? rng.pick(["comisd", "ucomisd"]) : rng.pick(["comiss", "ucomiss"])} ${reg()}, ${reg()}`], ["DUMP #, FL_ARITH", ...xDump]);
      },
      () => emit([`${rng.pick(["andps", "andnps", "orps", "xorps", "andpd", "andnpd", "orpd", "xorpd"])} ${xi()}, ${xany()}`], xDump),
      () => emit([`${rng.pick(["unpcklps", "unpckhps", "movss", "movhlps", "movlhps"])} ${xs()}, ${xs()}`], xDump),
      () => emit([`${rng.pick(["unpcklpd", "unpckhpd", "movsd"])} ${xd()}, ${xd()}`], xDump),
      () => (rng.int(2) ? emit([`shufps ${xs()}, ${xs()}, ${rng.int(256)}`], xDump) : emit([`shufpd ${xd()}, ${xd()}, ${rng.int(4)}`], xDump)),
      () => {
        const form = rng.int(8);
        const ins =
          form === 0 ? `cvtdq2ps ${xs()}, ${xi()}` : form === 1 ? `${rng.pick(["cvtps2dq", "cvttps2dq"])} ${xi()}, ${xs()}`
          : form === 2 ? `cvtpd2ps ${xs()}, ${xd()}` : form === 3 ? `cvtps2pd ${xd()}, ${xs()}`
          : form === 4 ? `cvtsd2ss ${xs()}, ${xd()}` : form === 5 ? `cvtss2sd ${xd()}, ${xs()}`
          : form === 6 ? `cvtdq2pd ${xd()}, ${xi()}` : `${rng.pick(["cvtpd2dq", "cvttpd2dq"])} ${xi()}, ${xd()}`;
        emit([ins], xDump);
      },
      () => {
        const dbl = rng.int(2) === 1;
        const op = dbl ? rng.pick(["cvtsd2si", "cvttsd2si"]) : rng.pick(["cvtss2si", "cvttss2si"]);
        emit([`${op} ${rng.pick(["eax", "ebx", "ecx", "edx"])}, ${dbl ? xd() : xs()}`], ["DUMP #, 0", ...xDump]);
      },
      () => (rng.int(2) ? emit([`cvtsi2sd ${xd()}, ${rng.pick(["eax", "ebx", "esi"])}`], xDump) : emit([`cvtsi2ss ${xs()}, ${rng.pick(["eax", "ebx", "esi"])}`], xDump)),
      () => {
        const op = rng.pick([
          "paddb", "paddw", "paddd", "paddq", "psubb", "psubw", "psubd", "psubq", "paddsb", "paddsw", "paddusb", "paddusw",
          "psubsb", "psubsw", "psubusb", "psubusw", "pmullw", "pmulhw", "pmulhuw", "pmuludq", "pmaddwd", "psadbw", "pavgb",
          "pavgw", "pminub", "pmaxub", "pminsw", "pmaxsw", "pcmpeqb", "pcmpeqw", "pcmpeqd", "pcmpgtb", "pcmpgtw", "pcmpgtd",
          "packsswb", "packssdw", "packuswb", "punpcklbw", "punpcklwd", "punpckldq", "punpcklqdq", "punpckhbw", "punpckhwd",
          "punpckhdq", "punpckhqdq", "pand", "pandn", "por", "pxor", "psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq",
          "psraw", "psrad",
        ]);
        emit([`${op} ${xi()}, ${rng.int(3) ? xany() : memps()}`], xDump);
      },
      () => {
        const op = rng.pick(["psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq", "psraw", "psrad", "pslldq", "psrldq"]);
        emit([`${op} ${xi()}, ${rng.int(40)}`], xDump);
      },
      () => emit([`${rng.pick(["pshufd", "pshufhw", "pshuflw"])} ${xi()}, ${xany()}, ${rng.int(256)}`], xDump),
      () => emit([`${rng.pick(["movmskps", "movmskpd", "pmovmskb"])} ${rng.pick(["eax", "ebx", "edx"])}, ${xany()}`], ["DUMP #, 0"]),
      () => {
        const form = rng.int(3);
        emit([form === 0 ? `movaps ${xs()}, ${memps()}` : form === 1 ? `movapd ${xd()}, ${mempd()}` : `movdqa ${xi()}, ${xany()}`], xDump);
      },
      () => {
        // rounding control and flush-to-zero (DAZ stays off: QEMU 7.2's MINPS/MAXPS return the
        // unflushed denormal operand under DAZ, README.md)
        const mxv = 0x1f80 | (rng.int(4) << 13) | (rng.int(3) === 0 ? 0x8000 : 0);
        emit([`mov dword [mx], ${hex(mxv)}`, "ldmxcsr [mx]"], xDump);
      },
    ];
    for (let i = 0; i < length; i++) rng.pick(templates)();
  }
  lines.push("  ret", ...data, `%include "sys.inc"`, `%include "harness-end.inc"`, "");
  return { source: lines.join("\n"), steps, mnemonics };
}
