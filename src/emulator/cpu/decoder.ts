// The decode table: one 512-entry array of handlers (0x000-0x0FF one-byte map, 0x100-0x1FF the 0F
// map), built once from the instruction-family files. Prefixes are handlers too: they record
// their effect and dispatch the next byte. The table holds only functions; all state is in the CPU.
// Which opcodes exist, which go to the SIMD unit and which may be locked is the opcode table's
// (opcode-table.ts); tests/cpu/opcode-table.test.ts checks that the handlers match its rows.

import type { CPU } from "./cpu.ts";
import { CS, DS, ES, FS, GS, SS, INT_EXCEPTION } from "./constants.ts";
import { isSimdOpcode, simdOpcodeHasModrm } from "./coprocessor.ts";
import { installAlu, imulGvEv } from "./alu.ts";
import { installDataMove, installDataMove0F } from "./data-move.ts";
import { installStack, installStack0F } from "./stack.ts";
import { installControlFlow, installControlFlow0F } from "./control-flow.ts";
import { installShiftRotate, installShiftRotate0F } from "./shift-rotate.ts";
import { installBitOps0F } from "./bit-ops.ts";
import { installStringOps } from "./string-ops.ts";
import { installPortIo } from "./port-io.ts";
import { installBcd } from "./bcd.ts";
import { installSystem, installSystem0F } from "./system.ts";
import { decodeModrm, readE8 } from "./modrm.ts";
import { deliverInterrupt } from "./interrupts.ts";
import { KEY_LOCK, OP_PREFIX, opKey } from "./opcode-index.ts";

export type Handler = (c: CPU) => void;

/** The handler of every opcode without a row in the opcode table: #UD. */
export const undefinedOpcode: Handler = (c) => {
  if (c.onUnknownOpcode) c.onUnknownOpcode(c.rd8((c.segBase[CS] + c.instrStart) | 0), (c.segBase[CS] + c.instrStart) | 0);
  c.ud();
};

/** Index = opcode for the one-byte map, 0x100 + second byte for 0F xx. */
export const OPCODE_TABLE: Handler[] = new Array<Handler>(512).fill(undefinedOpcode);

/** After a prefix: dispatch the next byte. The outermost prefix clears the prefix state again
 *  once the instruction has completed. */
function nextOpcode(c: CPU): void {
  if (c.prefixCount === 0) {
    c.prefixCount = 1;
    OPCODE_TABLE[c.fetch8()](c);
    c.clearPrefixes();
    return;
  }
  // An instruction may not exceed 15 bytes; prefixes are the only way to get there.
  if (++c.prefixCount > 14) c.gp(0);
  OPCODE_TABLE[c.fetch8()](c);
}

function build(): void {
  const one: Handler[] = new Array<Handler>(256).fill(undefinedOpcode);
  const two: Handler[] = new Array<Handler>(256).fill(undefinedOpcode);

  installAlu(one);
  installDataMove(one);
  installStack(one);
  installControlFlow(one);
  installShiftRotate(one);
  installStringOps(one);
  installPortIo(one);
  installBcd(one);
  installSystem(one);

  installDataMove0F(two);
  installStack0F(two);
  installControlFlow0F(two);
  installShiftRotate0F(two);
  installBitOps0F(two);
  installSystem0F(two);
  two[0xaf] = imulGvEv;

  // Prefixes
  const segPrefix = (seg: number): Handler => (c) => {
    c.segOvr = seg;
    nextOpcode(c);
  };
  one[0x26] = segPrefix(ES);
  one[0x2e] = segPrefix(CS);
  one[0x36] = segPrefix(SS);
  one[0x3e] = segPrefix(DS);
  one[0x64] = segPrefix(FS);
  one[0x65] = segPrefix(GS);
  one[0x66] = (c) => {
    c.o32 = !c.code32;
    if (c.simdPrefix === 0) c.simdPrefix = 0x66;
    nextOpcode(c);
  };
  one[0x67] = (c) => {
    c.a32 = !c.code32;
    nextOpcode(c);
  };
  const repPrefix = (b: number): Handler => (c) => {
    c.rep = b;
    c.simdPrefix = b;
    nextOpcode(c);
  };
  one[0xf2] = repPrefix(0xf2);
  one[0xf3] = repPrefix(0xf3);
  one[0xf0] = (c) => {
    c.lockPrefix = true;
    checkLock(c);
    nextOpcode(c);
  };
  one[0x0f] = (c) => OPCODE_TABLE[0x100 | c.fetch8()](c);

  // x87 escapes and WAIT. Memory operands are passed as unsigned linear addresses (-1 = register).
  for (let op = 0xd8; op <= 0xdf; op++) {
    one[op] = (c) => {
      decodeModrm(c);
      c.x87.execute(op, c.modrm, c.modrm >= 0xc0 ? -1 : c.ea >>> 0);
    };
  }
  one[0x9b] = (c) => c.x87.wait();
  // ICEBP / INT1: #DB without the gate DPL check.
  one[0xf1] = (c) => deliverInterrupt(c, 1, -1, INT_EXCEPTION);

  // SIMD opcodes of the 0F map, and 0F AE (fences and CLFLUSH stay here).
  for (let op = 0; op < 256; op++) {
    if (!isSimdOpcode(op) || op === 0xae) continue;
    two[op] = simdOpcodeHasModrm(op)
      ? (c) => {
          decodeModrm(c);
          c.simd.execute(op, c.simdPrefix, c.modrm, c.modrm >= 0xc0 ? -1 : c.ea >>> 0);
        }
      : (c) => c.simd.execute(op, c.simdPrefix, 0, -1); // EMMS: no ModRM byte
  }
  two[0xae] = (c) => {
    decodeModrm(c);
    const reg = (c.modrm >> 3) & 7;
    if (reg >= 5) {
      // LFENCE/MFENCE/SFENCE (register form) are no-ops; CLFLUSH m8 (7, memory) checks the address.
      if (reg === 7 && c.modrm < 0xc0) readE8(c);
      else if (c.modrm < 0xc0) c.ud();
      return;
    }
    if (reg === 4) c.ud();
    c.simd.execute(0xae, c.simdPrefix, c.modrm, c.modrm >= 0xc0 ? -1 : c.ea >>> 0);
  };

  for (let i = 0; i < 256; i++) {
    OPCODE_TABLE[i] = one[i];
    OPCODE_TABLE[0x100 + i] = two[i];
  }
}

/** #UD unless the instruction after LOCK is one that may be locked (the opcode table's LOCK
 *  column), with a memory destination. */
function checkLock(c: CPU): void {
  const base = c.segBase[CS];
  let k = c.eip;
  let b = c.rd8((base + k) | 0);
  for (let n = 0; n < 14 && OP_PREFIX[b] === 1; n++) b = c.rd8((base + ++k) | 0);
  let op = b;
  if (b === 0x0f) op = 0x100 | c.rd8((base + ++k) | 0);
  const m = c.rd8((base + k + 1) | 0);
  if (m >= 0xc0 || KEY_LOCK[opKey(op, (m >> 3) & 7)] === 0) c.ud();
}

build();
