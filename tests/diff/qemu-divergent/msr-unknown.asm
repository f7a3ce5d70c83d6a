; NOT RUN BY VITEST: RDMSR/WRMSR of an MSR the CPU does not have. The SDM raises #GP(0); QEMU 7.2
; (TCG) reads 0 and ignores the write (README.md, "QEMU deviations"). Hypertab raises #GP(0).
%include "harness.inc"
test_main:
  call sys_init
  SETRESUME .msr_gp
  mov ecx, 0x12345678
  rdmsr
.msr_gp:
  SETRESUME .msr_gp2
  mov ecx, 0x12345678
  wrmsr
.msr_gp2:
  mov dword [resume], 0
  DUMP 1, 0
  ret
%include "sys.inc"
%include "harness-end.inc"
