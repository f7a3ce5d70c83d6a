; NOT RUN BY VITEST: data breakpoints. QEMU 7.2 (TCG, this harness) stops with exit status 0 and no
; further output when the DR0 data write breakpoint triggers (a shutdown instead of the #DB trap the
; SDM describes, Vol. 3B 17.3.1.2); Hypertab delivers #DB after the write with DR6.B0 set, and B1
; for the read of the DR1 (RW=11) range. Instruction breakpoints are compared in debug-regs.asm.
;
; Debug registers: a data write breakpoint (DR0, RW=01, 4 bytes) trapping after the write, a
; data read/write breakpoint (DR1, RW=11, 2 bytes) hit by a read, an instruction breakpoint (DR2,
; RW=00) faulting before the instruction, a breakpoint that is not enabled, DR6's B0..B3 and BS,
; and DR7 read back.
%include "harness.inc"
test_main:
  call sys_init
  xor eax, eax
  mov dr6, eax
  mov eax, watch
  mov dr0, eax
  mov eax, watch + 8
  mov dr1, eax
  mov eax, .ibp
  mov dr2, eax
  mov eax, watch + 16
  mov dr3, eax                          ; not enabled in DR7
  ; DR7: L0 RW0=01 LEN0=11; L1 RW1=11 LEN1=01; L2 RW2=00 LEN2=00
  mov eax, (1 << 0) | (1 << 2) | (1 << 4) | (0x1 << 16) | (0x3 << 18) | (0x3 << 20) | (0x1 << 22)
  mov dr7, eax
  mov ebx, dr7
  DUMP 1, 0
  mov dword [watch], 5                  ; #DB after the write
  mov eax, dr6
  and eax, 0x400f
  DUMP 2, 0
  xor eax, eax
  mov dr6, eax
  mov eax, [watch + 4]                  ; not watched
  mov ecx, [watch + 8]                  ; DR1 (read/write) hit by a read
  mov eax, dr6
  and eax, 0x400f
  DUMP 3, 0
  xor eax, eax
  mov dr6, eax
  mov dword [watch + 16], 1             ; DR3 is not enabled
  SETRESUME .after_ibp
.ibp:
  nop                                   ; DR2: #DB before the NOP
.after_ibp:
  mov eax, dr6
  and eax, 0x400f
  DUMP 4, 0
  xor eax, eax
  mov dr7, eax
  ret
align 16
watch: times 32 db 0
%include "sys.inc"
%include "harness-end.inc"
