// The contract between the integer core (cpu/*.ts) and the floating-point/vector units
// (cpu/fpu/ for x87, cpu/simd/ for MMX/SSE/SSE2). The core decodes prefixes, the opcode, ModRM and
// the memory operand's address; the unit does the rest through this host interface.

import type { Stateful } from "../state.ts";
import { OP_MODRM, OP_SIMD } from "./opcode-index.ts";

/** Exception vectors the units may raise through the host. */
export const EXC_UD = 6; // invalid opcode
export const EXC_NM = 7; // device not available (CR0.TS / CR0.EM)
export const EXC_GP = 13;
export const EXC_MF = 16; // x87 floating-point error
export const EXC_XM = 19; // SIMD floating-point exception

/** What the core offers the units. Implemented by the CPU class. */
export interface CoprocessorHost {
  /** Memory at a linear address (segment already applied), through paging; faults are raised by
   *  the core (these calls then do not return normally). */
  readLinear8(addr: number): number;
  readLinear16(addr: number): number;
  readLinear32(addr: number): number;
  writeLinear8(addr: number, value: number): void;
  writeLinear16(addr: number, value: number): void;
  writeLinear32(addr: number, value: number): void;
  /** Checks a memory operand of `length` bytes at `addr` as a whole (the segment limit), so that a
   *  multi-part store or a state load faults before any part of it takes effect. Optional: a host
   *  without segment limits leaves it out. */
  checkOperand?(addr: number, length: number): void;
  /** General registers by encoding 0-7 (EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI). */
  getReg32(index: number): number;
  setReg32(index: number, value: number): void;
  /** Writes the low 16 bits only (FNSTSW AX). */
  setReg16(index: number, value: number): void;
  /** Next byte of the instruction stream (an imm8 after ModRM/SIB/displacement). */
  fetchImm8(): number;
  /** Raises an exception; never returns normally. */
  raiseException(vector: number, errorCode?: number): never;
  /** EFLAGS as the guest would read them (FCMOVcc). */
  getEflags(): number;
  /** FCOMI/FUCOMI/COMISS/UCOMISS: sets ZF, PF, CF as given and clears OF, SF, AF. */
  setCompareFlags(zf: boolean, pf: boolean, cf: boolean): void;
  /** Legacy FPU error reporting (CR0.NE=0): asserts IRQ13 via the platform. */
  signalFpuIrq13(): void;
  readonly cr0: number;
  readonly cr4: number;
  /** 32-bit operand size for the current instruction (FSTENV/FSAVE layout, FXSAVE is fixed). */
  readonly operandSize32: boolean;
  /** CR0.PE=1 and not virtual-8086 (FSTENV/FSAVE layout). */
  readonly protectedMode: boolean;
  /** For the x87 last-instruction/last-operand pointers: CS selector and offset of the current
   *  instruction, and the selector/offset of its memory operand (0 when none). */
  readonly currentCs: number;
  readonly currentEip: number;
  readonly currentDataSelector: number;
  readonly currentDataOffset: number;
  /** MASKMOVQ/MASKMOVDQU store to DS:(E)DI (segment override and address size honoured): the
   *  linear address of that operand. Optional; without it the unit assumes a flat DS and uses EDI. */
  maskMoveAddress?(): number;
}

export interface X87Unit extends Stateful {
  /** Power-on / RESET state. */
  reset(): void;
  /** Executes ESC opcode 0xD8-0xDF with its ModRM. `addr` is the linear address of the memory
   *  operand, or -1 when ModRM.mod == 3. Checks CR0.EM/TS itself (#NM) and pending exceptions.
   *  (The units tell register from memory by ModRM.mod and accept addresses as signed or unsigned
   *  32-bit values.) */
  execute(opcode: number, modrm: number, addr: number): void;
  /** WAIT/FWAIT (0x9B): #NM if CR0.TS and CR0.MP; #MF (or IRQ13) if an unmasked exception is pending. */
  wait(): void;
}

export interface SimdUnit extends Stateful {
  reset(): void;
  /** Executes a two-byte-map opcode 0x0F `opcode` that `isSimdOpcode` claimed. `prefix` is the
   *  mandatory prefix in effect (0, 0x66, 0xF2 or 0xF3; the last of F2/F3 wins over 66), `modrm`
   *  its ModRM byte, `addr` the operand's linear address or -1 for a register operand. Performs its
   *  own CR0/CR4 checks (#UD/#NM) and raises #UD for combinations it does not implement. */
  execute(opcode: number, prefix: number, modrm: number, addr: number): void;
}

/** Which 0x0F xx opcodes the core hands to the SIMD unit: those the opcode table gives to the
 *  MMX/SSE/SSE2 units. All take a ModRM byte except 0F 77 EMMS (see simdOpcodeHasModrm; pass modrm 0
 *  and addr -1 for it). 0F AE is shared: the core keeps the fences and CLFLUSH (reg 5-7) and hands
 *  reg 0-3 (FXSAVE, FXRSTOR, LDMXCSR, STMXCSR) to the unit. */
export function isSimdOpcode(op: number): boolean {
  return OP_SIMD[op & 0xff] === 1;
}

/** Whether the 0F `op` has a ModRM byte (per the opcode table; 0F 77 EMMS has none). */
export function simdOpcodeHasModrm(op: number): boolean {
  return OP_MODRM[0x100 | (op & 0xff)] === 1;
}
