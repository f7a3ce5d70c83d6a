// Numbering shared by the CPU's files (kept free of imports so any module may use it at load time).

export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

/** Byte offsets of AL, CL, DL, BL, AH, CH, DH, BH inside the register file. */
export const REG8_INDEX = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);

/** CPUID leaf 1 EAX / reset EDX: family 6, model 13, stepping 6. */
export const CPU_SIGNATURE = 0x06d6;
/** The model's nominal frequency, in TSC ticks per virtual ns. */
export const TSC_GHZ = 1.0;

/** serviceEvents results. */
export const EVENTS_RUN = 0, EVENTS_STOP = 1, EVENTS_ONE = 2;
/** deliverInterrupt kinds: what raised the interrupt decides privilege checks and the pushed EIP. */
export const INT_EXTERNAL = 0, INT_SOFTWARE = 1, INT_EXCEPTION = 2, INT_EXCEPTION_TRAP = 3, INT_NMI = 4;

/** Exception vectors. */
export const EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6, EXC_NM = 7,
  EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17;
