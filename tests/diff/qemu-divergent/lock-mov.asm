; NOT RUN BY VITEST: LOCK on an instruction that is not a read-modify-write of memory (MOV). The
; SDM raises #UD; QEMU 7.2 executes it (README.md, "QEMU deviations"). Hypertab raises #UD.
%include "harness.inc"
test_main:
  call sys_init
  mov ebx, scratch
  SETRESUME .ud2
  db 0xf0, 0x8b, 0x03           ; lock mov eax, [ebx]
.ud2:
  mov dword [resume], 0
  DUMP 1, 0
  ret
%include "sys.inc"
%include "harness-end.inc"
