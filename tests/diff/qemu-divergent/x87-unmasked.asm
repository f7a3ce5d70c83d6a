; NOT RUN BY VITEST: x87 unmasked exceptions where QEMU 7.2 does not follow the SDM (see
; tests/diff/README.md, "QEMU deviations"). QEMU stores/pops on unmasked invalid and zero-divide
; (the SDM leaves the destination and TOP unchanged), stores infinity/zero instead of the biased
; result on unmasked overflow/underflow, never detects denormal operands, and raises #MF only at an
; explicit FWAIT (the SDM: at the next waiting x87 instruction). Hypertab follows the SDM; the same
; behaviour is checked in tests/fpu/x87-unmasked.test.ts against hardware reference data.
; Run it with: npx tsx tests/diff/run.ts --seeds 0 --dir qemu-divergent
%include "harness.inc"
%macro SETCW 1
  mov word [cw], %1
  fldcw [cw]
%endmacro
test_main:
  call sys_init
  call fpu_init
  SETCW 0x037e              ; invalid unmasked
  fldz
  fldz
  SETRESUME .mf1
  fdivp st1, st0            ; pending, the destination keeps its value
  fwait
.mf1:
  DUMPFPU 0x40
  fninit
  SETCW 0x037b              ; zero divide unmasked
  fld1
  fldz
  SETRESUME .mf2
  fdivp st1, st0
  fld1                      ; the next waiting x87 instruction takes the #MF
.mf2:
  DUMPFPU 0x41
  fninit
  SETCW 0x0377              ; overflow unmasked: the result is the biased exponent
  fld tword [f80_max]
  SETRESUME .mf3
  fmul st0, st0
  fwait
.mf3:
  DUMPFPU 0x42, FSW_NO_C1
  fninit
  SETCW 0x036f              ; underflow unmasked
  fld tword [f80_min]
  SETRESUME .mf4
  fmul st0, st0
  fwait
.mf4:
  DUMPFPU 0x43, FSW_NO_C1
  fninit
  SETCW 0x035f              ; precision unmasked: the rounded result is stored
  fld1
  fld qword [three]
  SETRESUME .mf5
  fdivp st1, st0
  fwait
.mf5:
  DUMPFPU 0x44, FSW_NO_C1
  fninit
  SETCW 0x037d              ; denormal unmasked
  fld tword [f80_denorm]
  fld1
  SETRESUME .mf6
  fadd st0, st1
  fwait
.mf6:
  DUMPFPU 0x45
  fninit
  ret
align 16
cw: dw 0
three: dq 3.0
f80_max: dq 0xffffffffffffffff
  dw 0x7ffe
f80_min: dq 0x8000000000000000
  dw 0x0001
f80_denorm: dq 0x0000000012345678
  dw 0x0000
%include "sys.inc"
%include "harness-end.inc"
