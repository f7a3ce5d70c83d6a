; x87 transcendental instructions: F2XM1, FYL2X, FYL2XP1, FPATAN (QEMU 7.2 computes these exactly
; in extended precision), and FSIN/FCOS/FSINCOS/FPTAN on operands whose results QEMU's host-double
; implementation also gets exactly (zero, tiny values, the out-of-range C2 case). Infinities and
; NaNs in FSIN/FCOS/FSINCOS/FPTAN: qemu-divergent/x87-trig-specials.asm (QEMU does not follow the SDM).
%include "harness.inc"

%macro ONE 3                  ; ONE tag, load operand(s), instruction
  fninit
  %2
  %3
  DUMPFPU %1, FSW_NO_C1
%endmacro

test_main:
  call sys_init
  call fpu_init
  ONE 1, {fld qword [half]}, f2xm1
  ONE 2, {fld qword [mhalf]}, f2xm1
  ONE 3, {fld qword [small]}, f2xm1
  ONE 4, {fldz}, f2xm1
  ONE 5, {fld qword [three]}, {fld qword [seven]}
  fyl2x
  DUMPFPU 6, FSW_NO_C1
  ONE 7, {fld qword [half]}, {fld qword [ten]}
  fxch
  fyl2x
  DUMPFPU 8, FSW_NO_C1
  ONE 9, {fld1}, {fld qword [small]}
  fyl2xp1
  DUMPFPU 10, FSW_NO_C1
  ONE 11, {fld qword [three]}, {fld qword [mquarter]}
  fyl2xp1
  DUMPFPU 12, FSW_NO_C1
  ONE 13, {fld qword [seven]}, {fld qword [three]}
  fpatan
  DUMPFPU 14, FSW_NO_C1
  ONE 15, {fld qword [mhalf]}, {fld qword [ten]}
  fpatan
  DUMPFPU 16, FSW_NO_C1
  ONE 17, {fldz}, {fld1}
  fchs
  fpatan
  DUMPFPU 18, FSW_NO_C1
  ; log of zero (zero divide), of a negative number (invalid)
  ONE 19, {fld1}, {fldz}
  fyl2x
  DUMPFPU 20
  ONE 21, {fld1}, {fld qword [mhalf]}
  fyl2x
  DUMPFPU 22
  ; trigonometric functions on exactly representable results
  ONE 23, {fldz}, fsin
  ONE 24, {fldz}, fcos
  ONE 25, {fldz}, fsincos
  ONE 26, {fldz}, fptan
  fninit
  fld qword [tiny]
  fsin
  DUMPFPU 27, FSW_NO_PE
  fninit
  fld qword [tiny]
  fptan
  DUMPFPU 28, FSW_NO_PE
  ONE 29, {fld qword [huge]}, fsin
  ONE 30, {fld qword [huge]}, fcos
  ONE 31, {fld qword [huge]}, fsincos
  ONE 32, {fld qword [huge]}, fptan
  ONE 37, {fldz}, {fchs}
  fsin
  DUMPFPU 38
  ret

align 16
half: dq 0.5
mhalf: dq -0.5
mquarter: dq -0.25
small: dq 1.0e-10
three: dq 3.0
seven: dq 7.0
ten: dq 10.0
tiny: dq 1.0e-30
huge: dq 1.0e30
f80_inf: dq 0x8000000000000000
  dw 0x7fff
f80_qnan: dq 0xc000000000000001
  dw 0x7fff

%include "sys.inc"
%include "harness-end.inc"
