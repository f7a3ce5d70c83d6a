// The opcode table (src/emulator/cpu/opcode-table.ts) against everything derived from it: the
// interpreter's handlers, the LOCK check, the SIMD dispatch, the JIT decoder's lengths and its
// block rule. Each derived fact is recomputed here from the rows alone, exhaustively over every
// opcode, ModRM.reg and mandatory prefix.

import { describe, expect, it } from "vitest";
import { F_ARITH, OPCODE_ROWS, rowMatches, type OpcodeRow } from "../../src/emulator/cpu/opcode-table.ts";
import {
  KEY_FLAGS_KILL, KEY_FLAGS_NONE, KEY_IMM, KEY_JIT_CONTINUES, KEY_LOCK, OP_MODRM, OP_PREFIX, opKey,
} from "../../src/emulator/cpu/opcode-index.ts";
import { OPCODE_TABLE, undefinedOpcode } from "../../src/emulator/cpu/decoder.ts";
import { isSimdOpcode, simdOpcodeHasModrm } from "../../src/emulator/cpu/coprocessor.ts";
import { decodeInsn } from "../../src/emulator/cpu/jit/decode.ts";
import { CS, DS } from "../../src/emulator/cpu/cpu.ts";
import { faultOf, makeMachine } from "./harness.ts";

const hex = (op: number) => (op < 0x100 ? op.toString(16).padStart(2, "0") : `0f ${(op & 0xff).toString(16).padStart(2, "0")}`);
const byOp: OpcodeRow[][] = Array.from({ length: 512 }, () => []);
for (const row of OPCODE_ROWS) byOp[row.op]!.push(row);
const PREFIXES = [0, 0x66, 0xf3, 0xf2];
/** One memory and one register ModRM byte per reg. */
const modrmsOf = (reg: number) => [(reg << 3) | 0x06, 0xc0 | (reg << 3) | 1];
/** ImmLayout codes by the row's immediates. */
const IMM_LAYOUTS = ["", "b", "w", "z", "o", "wb", "zw"];
const isInstruction = (op: number) => byOp[op]!.length > 0 && byOp[op]!.every((r) => r.unit !== "prefix" && r.unit !== "escape");

describe("opcode table", () => {
  it("has a row for every opcode the interpreter handles, and a handler for every row", () => {
    const handledWithoutRow: string[] = [];
    const rowWithoutHandler: string[] = [];
    for (let op = 0; op < 512; op++) {
      const handled = OPCODE_TABLE[op] !== undefinedOpcode;
      if (handled && byOp[op]!.length === 0) handledWithoutRow.push(hex(op));
      if (!handled && byOp[op]!.length > 0) rowWithoutHandler.push(hex(op));
    }
    expect(handledWithoutRow).toEqual([]);
    expect(rowWithoutHandler).toEqual([]);
  });

  it("keeps 0F 78-7D, 0F D0 and 0F F0 (VMX and SSE3 space on this model) undefined", () => {
    for (const b of [0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0xd0, 0xf0]) {
      expect(byOp[0x100 | b], hex(0x100 | b)).toEqual([]);
      expect(OPCODE_TABLE[0x100 | b]).toBe(undefinedOpcode);
      expect(isSimdOpcode(b)).toBe(false);
    }
  });

  it("writes each fact once: rows of one opcode agree on ModRM, and no two rows claim one form", () => {
    const overlaps: string[] = [];
    for (let op = 0; op < 512; op++) {
      const rows = byOp[op]!;
      if (rows.length === 0) continue;
      expect(new Set(rows.map((r) => r.modrm)).size, hex(op)).toBe(1);
      if (!rows[0]!.modrm) continue;
      for (let m = 0; m < 256; m++) {
        for (const p of PREFIXES) {
          const n = rows.filter((r) => rowMatches(r, m, p)).length;
          if (n > 1) overlaps.push(`${hex(op)} modrm ${m.toString(16)} prefix ${p.toString(16)}`);
        }
      }
    }
    expect(overlaps).toEqual([]);
  });

  it("gives the SIMD unit exactly the 0F opcodes of MMX/SSE/SSE2 rows, with their ModRM", () => {
    for (let b = 0; b < 256; b++) {
      const rows = byOp[0x100 | b]!;
      expect(isSimdOpcode(b), hex(0x100 | b)).toBe(rows.some((r) => r.unit === "mmx" || r.unit === "sse" || r.unit === "sse2"));
      if (isSimdOpcode(b)) expect(simdOpcodeHasModrm(b), hex(0x100 | b)).toBe(rows[0]!.modrm);
    }
  });

  it("derives the prefix, LOCK, JIT-continue, flag, ModRM and immediate lookups from the rows", () => {
    for (let op = 0; op < 512; op++) {
      const rows = byOp[op]!;
      expect(OP_MODRM[op], hex(op)).toBe(rows.length > 0 && rows[0]!.modrm ? 1 : 0);
      if (op < 256) expect(OP_PREFIX[op], hex(op)).toBe(rows.some((r) => r.unit === "prefix") ? 1 : 0);
      if (!isInstruction(op)) continue;
      for (let reg = 0; reg < 8; reg++) {
        const k = opKey(op, reg);
        const forms = rows[0]!.modrm ? Array.from({ length: 32 }, (_, i) => ((i & 0x18) << 3) | (reg << 3) | (i & 7)) : [-1];
        const matching = rows.filter((r) => forms.some((m) => PREFIXES.some((p) => rowMatches(r, m, p))));
        const memRows = rows[0]!.modrm ? rows.filter((r) => PREFIXES.some((p) => rowMatches(r, modrmsOf(reg)[0]!, p))) : [];
        expect(KEY_LOCK[k], `${hex(op)} /${reg} LOCK`).toBe(memRows.some((r) => r.lock) ? 1 : 0);
        expect(KEY_JIT_CONTINUES[k], `${hex(op)} /${reg} JIT`).toBe(matching.length > 0 && matching.every((r) => r.jit === "continue") ? 1 : 0);
        for (const r of matching) expect(KEY_IMM[k], `${hex(op)} /${reg} imm`).toBe(IMM_LAYOUTS.indexOf(r.imm.join("")));
        const some = matching.length > 0;
        expect(KEY_FLAGS_KILL[k], `${hex(op)} /${reg} kills flags`)
          .toBe(some && matching.every((r) => r.flagsWritten === F_ARITH && r.flagsRead === 0) ? 1 : 0);
        expect(KEY_FLAGS_NONE[k], `${hex(op)} /${reg} no flags`)
          .toBe(some && matching.every((r) => r.flagsWritten === 0 && r.flagsRead === 0) ? 1 : 0);
      }
    }
  });

  it("lets the interpreter accept LOCK exactly where the table's LOCK column allows it", () => {
    const m = makeMachine(1, { jit: false });
    const c = m.cpu;
    c.loadSegmentReal(CS, 0);
    c.loadSegmentReal(DS, 0);
    const wrong: string[] = [];
    for (let op = 0; op < 512; op++) {
      if (!isInstruction(op) || !byOp[op]![0]!.modrm) continue;
      for (let reg = 0; reg < 8; reg++) {
        // LOCK op [0x2000] with zero immediates, in real mode.
        const bytes = [0xf0, ...(op >= 0x100 ? [0x0f, op & 0xff] : [op]), (reg << 3) | 0x06, 0x00, 0x20, 0, 0, 0, 0];
        m.memory.writeBytes(0x1000, new Uint8Array(bytes));
        c.clearPrefixes();
        c.eip = 0x1000;
        c.r32[4] = 0x8000;
        const f = faultOf(() => c.step());
        const ud = f !== null && f.vector === 6;
        const legal = byOp[op]!.some((r) => r.lock && rowMatches(r, (reg << 3) | 0x06, -1));
        if (ud === legal) wrong.push(`${hex(op)} /${reg}: ${ud ? "#UD" : "accepted"}`);
      }
    }
    c.clearPrefixes();
    expect(wrong).toEqual([]);
  });

  it("makes the JIT decoder's lengths those of the table", () => {
    // Expected length from a row: prefixes + opcode + ModRM/SIB/displacement + immediates.
    const ram = new Uint8Array(32);
    const checked: number[] = [];
    for (let op = 0; op < 512; op++) {
      if (!isInstruction(op)) continue;
      const rows = byOp[op]!;
      for (const o16 of [false, true]) {
        for (const a16 of [false, true]) {
          const modrms = rows[0]!.modrm ? [0x05, 0x04, 0x44, 0x84, 0xc1, 0x06, 0x46, 0x86].flatMap((m) => [m, m | 0x38, m | 0x08]) : [-1];
          for (const modrm of modrms) {
            const row = rows.find((r) => PREFIXES.some((p) => rowMatches(r, modrm, p)));
            if (row === undefined) continue;
            const prefix = [...(o16 ? [0x66] : []), ...(a16 ? [0x67] : [])];
            const opBytes = op >= 0x100 ? [0x0f, op & 0xff] : [op];
            let len = prefix.length + opBytes.length;
            const sib = 0x25; // base 5 with mod 0: a disp32
            if (modrm >= 0) {
              len++;
              const mod = modrm >> 6, rm = modrm & 7;
              if (a16) len += mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 6) ? 2 : 0;
              else if (mod !== 3) {
                if (rm === 4) len++;
                len += mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 5) || (mod === 0 && rm === 4 && (sib & 7) === 5) ? 4 : 0;
              }
            }
            for (const k of row.imm) len += k === "b" ? 1 : k === "w" ? 2 : k === "z" ? (o16 ? 2 : 4) : a16 ? 2 : 4;
            ram.fill(0);
            ram.set([...prefix, ...opBytes, ...(modrm >= 0 ? [modrm] : []), sib]);
            const insn = decodeInsn(ram, 0, ram.length, 0);
            expect(insn?.len, `${prefix.map((b) => b.toString(16))} ${hex(op)} ${modrm.toString(16)}`).toBe(len);
            checked.push(op);
          }
        }
      }
    }
    expect(new Set(checked).size).toBeGreaterThan(450);
  });
});
