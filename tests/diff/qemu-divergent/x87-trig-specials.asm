; NOT RUN BY VITEST: FSIN/FCOS/FSINCOS/FPTAN on infinities and NaNs, where QEMU 7.2 does not follow
; the SDM (README.md, "QEMU deviations"): QEMU answers an infinity with C2=1 (out of range) instead
; of #IA with the indefinite, and replaces a QNaN operand by the default NaN instead of propagating
; it (FPTAN also pushes 1.0 above it). Hypertab follows the SDM.
%include "harness.inc"
%macro ONE 3
  fninit
  %2
  %3
  DUMPFPU %1, FSW_NO_C1
%endmacro
test_main:
  call sys_init
  call fpu_init
  ONE 33, {fld tword [f80_inf]}, fsin
  ONE 34, {fld tword [f80_inf]}, fcos
  ONE 35, {fld tword [f80_qnan]}, fsincos
  ONE 36, {fld tword [f80_qnan]}, fptan
  ret
align 16
f80_inf: dq 0x8000000000000000
  dw 0x7fff
f80_qnan: dq 0xc000000000000001
  dw 0x7fff
%include "sys.inc"
%include "harness-end.inc"
