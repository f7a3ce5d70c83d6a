; SSE/SSE2 special-operand tables: every pair of {+0, -0, +1, -1.5, +3, +inf, -inf, the smallest
; normal, a denormal, the largest finite} through ADD/SUB/MUL/DIV/MIN/MAX/SQRT/CMP (predicates 1
; and 7)/COMI/UCOMI, scalar single and double, under round-to-nearest and flush-to-zero, with MXCSR
; flags cleared before each case (DE is masked out of the dump, README.md). No NaN operands (their
; pairing rule is a QEMU 7.2 deviation, README.md); NaN results from invalid operations are compared.
%include "harness.inc"
%define NVAL 10

%macro PAIRS 3                        ; tag, instruction, single (1) or double (0)
%assign i 0
%rep NVAL
%assign j 0
%rep NVAL
  ldmxcsr [mx_cur]
%if %3
  movss xmm0, [sv + i * 4]
  movss xmm1, [sv + j * 4]
%else
  movsd xmm0, [dv + i * 8]
  movsd xmm1, [dv + j * 8]
%endif
  %2
  DUMPXMM (%1 << 8) | (i << 4) | j, MX_NO_DE
%assign j j + 1
%endrep
%assign i i + 1
%endrep
%endmacro

%macro ALLOPS 1                      ; tag base
  PAIRS %1 + 0, {addss xmm0, xmm1}, 1
  PAIRS %1 + 1, {subss xmm0, xmm1}, 1
  PAIRS %1 + 2, {mulss xmm0, xmm1}, 1
  PAIRS %1 + 3, {divss xmm0, xmm1}, 1
  PAIRS %1 + 4, {minss xmm0, xmm1}, 1
  PAIRS %1 + 5, {maxss xmm0, xmm1}, 1
  PAIRS %1 + 6, {cmpss xmm0, xmm1, 1}, 1
  PAIRS %1 + 7, {addsd xmm0, xmm1}, 0
  PAIRS %1 + 8, {mulsd xmm0, xmm1}, 0
  PAIRS %1 + 9, {divsd xmm0, xmm1}, 0
  PAIRS %1 + 10, {maxsd xmm0, xmm1}, 0
  PAIRS %1 + 11, {cmpsd xmm0, xmm1, 7}, 0
%endmacro

test_main:
  call sys_init
  call fpu_init
  mov dword [mx_cur], 0x1f80
  ALLOPS 0x10
  mov dword [mx_cur], 0x9f80          ; flush to zero
  ALLOPS 0x20
  ; unary and compare-into-EFLAGS
  mov dword [mx_cur], 0x1f80
%assign i 0
%rep NVAL
  ldmxcsr [mx_cur]
  movss xmm0, [sv + i * 4]
  sqrtss xmm2, xmm0
  movsd xmm1, [dv + i * 8]
  sqrtsd xmm3, xmm1
  cvtss2sd xmm4, xmm0
  cvtsd2ss xmm5, xmm1
  cvttss2si eax, xmm0
  cvtsd2si ebx, xmm1
  comiss xmm0, [sv + 4 * 4]
  DUMP 0x300 + i, FL_ARITH
  ucomisd xmm1, [dv + 2 * 8]
  DUMP 0x310 + i, FL_ARITH
  DUMPXMM 0x320 + i, MX_NO_DE
%assign i i + 1
%endrep
  ret

align 16
mx_cur: dd 0x1f80
sv: dd 0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x40400000, 0x7f800000, 0xff800000
  dd 0x00800000, 0x00012345, 0x7f7fffff
dv: dq 0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff8000000000000
  dq 0x4008000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x0010000000000000
  dq 0x0000000123456789, 0x7fefffffffffffff

%include "sys.inc"
%include "harness-end.inc"
