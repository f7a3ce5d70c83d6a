; x87 arithmetic: loads/stores in every memory format (32/64/80-bit real, 16/32/64-bit integer,
; 18-digit BCD), the constants, add/sub/subr/mul/div/divr in register, memory and integer forms
; with and without pop, FCHS/FABS/FSQRT/FRNDINT/FSCALE/FXTRACT/FPREM/FPREM1, comparisons (FCOM*,
; FUCOM*, FICOM*, FCOMI/FUCOMI, FTST, FXAM), FXCH, FCMOVcc, FFREE, FINCSTP/FDECSTP. After each
; group the whole x87 state (FXSAVE: control/status/tag words, FOP, FIP, FDP, ST0..ST7) is dumped.
%include "harness.inc"
test_main:
  call sys_init
  call fpu_init
  DUMPFPU 1
  fld1
  fldz
  fldpi
  fldl2e
  fldl2t
  fldlg2
  fldln2
  DUMPFPU 2
  fninit
  fld dword [f32_a]
  fld qword [f64_a]
  fld tword [f80_a]
  fild word [i16_a]
  fild dword [i32_a]
  fild qword [i64_a]
  fbld [bcd_a]
  DUMPFPU 3
  fst dword [out + 0]
  fstp qword [out + 4]
  fstp tword [out + 12]
  fist word [out + 22]
  fistp dword [out + 24]
  fistp qword [out + 28]
  fbstp [out + 36]
  DUMPMEM 4, out, 12
  DUMPFPU 5
  fninit
  ; register forms
  fld dword [f32_a]
  fld qword [f64_a]
  fadd st0, st1
  fadd st1, st0
  fsub st0, st1
  fsubr st1, st0
  fmul st0, st0
  fdiv st1, st0
  fdivr st0, st1
  DUMPFPU 6
  faddp st1, st0
  fld qword [f64_b]
  fsubp st1, st0
  fld qword [f64_b]
  fsubrp st1, st0
  fld qword [f64_b]
  fmulp st1, st0
  fld qword [f64_b]
  fdivp st1, st0
  fld qword [f64_b]
  fdivrp st1, st0
  DUMPFPU 7
  ; memory forms
  fadd dword [f32_a]
  fsub qword [f64_a]
  fmul dword [f32_b]
  fdivr qword [f64_b]
  fsubr dword [f32_b]
  fdiv qword [f64_a]
  DUMPFPU 8
  fiadd word [i16_a]
  fisub dword [i32_a]
  fimul word [i16_b]
  fidiv dword [i32_b]
  fisubr word [i16_a]
  fidivr dword [i32_a]
  DUMPFPU 9, FSW_NO_C1      ; FIDIVR rounded up

  ; unary
  fchs
  fabs
  fld qword [f64_b]
  fsqrt
  fld tword [f80_a]
  frndint
  fld qword [f64_c]
  fld1
  fadd st0, st0
  fxch
  fscale
  DUMPFPU 10, FSW_NO_CC     ; FSQRT of a negative number: QEMU sets C2, the SDM leaves C0/C2/C3 undefined

  fninit
  fld qword [f64_c]
  fxtract
  DUMPFPU 11
  fninit
  fld qword [f64_b]
  fld qword [f64_c]
  fprem
  DUMPFPU 12
  fstp st0
  fld qword [f64_c]
  fprem1
  DUMPFPU 13
  fninit
  ; a big partial remainder (C2 set: incomplete) and its completion
  fld qword [f64_b]
  fld qword [f64_big]
  fprem
  DUMPFPU 14
  fprem
  DUMPFPU 15
  fninit
  ; comparisons
  fld qword [f64_a]
  fld qword [f64_b]
  fcom st1
  fnstsw ax
  DUMP 16, 0
  fcom dword [f32_a]
  fnstsw ax
  DUMP 17, 0
  fcom qword [f64_b]
  fnstsw ax
  DUMP 18, 0
  ficom word [i16_a]
  fnstsw ax
  DUMP 19, 0
  ficom dword [i32_b]
  fnstsw ax
  DUMP 20, 0
  fucom st1
  fnstsw ax
  DUMP 21, 0
  fcomi st0, st1
  DUMP 22, FL_ARITH
  fucomi st0, st1
  DUMP 23, FL_ARITH
  fxch
  fcomi st0, st1
  DUMP 24, FL_ARITH
  ftst
  fnstsw ax
  DUMP 25, 0
  fld st0
  fcomp st1
  fnstsw ax
  DUMP 26, 0
  fld st0
  fcompp
  fnstsw ax
  DUMP 27, 0
  fld st0
  fucomip st0, st1
  DUMP 28, FL_ARITH
  fld st0
  fucomp
  fld st0
  fucompp
  DUMPFPU 29
  fld qword [f64_a]
  ficomp word [i16_a]
  fnstsw ax
  DUMP 30, 0
  fninit
  ; FXAM on every class
  fld qword [f64_a]
  fxam
  fnstsw ax
  DUMP 31, 0
  fchs
  fxam
  fnstsw ax
  DUMP 32, 0
  fldz
  fxam
  fnstsw ax
  DUMP 33, 0
  fld tword [f80_denorm]
  fxam
  fnstsw ax
  DUMP 34, 0
  fld tword [f80_inf]
  fxam
  fnstsw ax
  DUMP 35, 0
  fld tword [f80_qnan]
  fxam
  fnstsw ax
  DUMP 36, 0
  ffree st0
  fincstp
  fxam
  fnstsw ax
  DUMP 37, 0
  fdecstp
  fxam
  fnstsw ax
  DUMP 38, 0
  fninit
  fxam
  fnstsw ax
  DUMP 39, 0
  ; FCMOVcc after FCOMI set the flags
  fld qword [f64_a]
  fld qword [f64_b]
  fld1
  fldz
  fcomi st0, st1
  fcmovb st0, st2
  fcmove st0, st3
  fcmovbe st0, st2
  fcmovu st0, st3
  fcmovnb st0, st3
  fcmovne st0, st2
  fcmovnbe st0, st3
  fcmovnu st0, st2
  DUMPFPU 40
  ; unordered compare with a NaN (masked invalid for FUCOM's signalling NaN only)
  fld tword [f80_qnan]
  fucomi st0, st1
  DUMP 41, FL_ARITH
  fcomi st0, st1
  DUMP 42, FL_ARITH
  DUMPFPU 43
  ret

align 16
f32_a: dd 1.5
f32_b: dd -3.25e7
f64_a: dq 2.718281828459045
f64_b: dq -1234.5678
f64_c: dq 7.0e-3
f64_big: dq 3.0e300
f80_a: dq 0xc90fdaa22168c235      ; 8*pi as an 80-bit real
  dw 0x4003
i16_a: dw -1234
i16_b: dw 77
i32_a: dd 987654321
i32_b: dd -3
i64_a: dq -1234567890123456789
bcd_a: dq 0x3456789012345678       ; -123456789012345678 packed BCD
  db 0x12, 0x80
f80_denorm: dq 0x0000000012345678
  dw 0x0000
f80_inf: dq 0x8000000000000000
  dw 0x7fff
f80_qnan: dq 0xc000000000000001
  dw 0xffff
align 16
out: times 64 db 0

%include "sys.inc"
%include "harness-end.inc"
