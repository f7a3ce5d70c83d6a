; SSE2: double-precision moves and arithmetic (packed and scalar), SQRT/MIN/MAX, CMPPD/CMPSD with
; all predicates, COMISD/UCOMISD, every conversion between single, double and integers (with
; rounding modes and the integer indefinite), logic, shuffles and unpacks, MOVMSKPD, and the 128-bit
; integer instructions: MOVDQA/MOVDQU/MOVQ/MOVD, PADDQ/PSUBQ/PMULUDQ, add/sub/compare/pack/unpack
; on XMM, PSHUFD/PSHUFHW/PSHUFLW, PSLLDQ/PSRLDQ, shifts, PMADDWD, PSADBW, PMOVMSKB, MASKMOVDQU,
; MOVNTDQ/MOVNTPD/MOVNTI, MOVQ2DQ/MOVDQ2Q, LFENCE/MFENCE/CLFLUSH.
%include "harness.inc"

%macro RESETX 0
  movapd xmm0, [da]
  movapd xmm1, [db_]
  movapd xmm2, [dc]
  movapd xmm3, [dd_]
  movupd xmm4, [da + 8]
  movdqu xmm5, [ia]
  movdqa xmm6, [ib]
  movdqa xmm7, [ic]
%endmacro
%macro SETMX 1
  mov dword [mx], %1
  ldmxcsr [mx]
%endmacro

test_main:
  call sys_init
  call fpu_init
  RESETX
  DUMPXMM 1, MX_NO_DE
  movsd xmm0, [dc + 8]
  movsd xmm1, xmm2
  movlpd xmm2, [dd_]
  movhpd xmm3, [da]
  movq xmm4, [ia + 8]
  movq xmm5, xmm6
  mov eax, 0x89abcdef
  movd xmm6, eax
  movd ebx, xmm7
  movapd [out], xmm0
  movupd [out + 24], xmm1
  movsd [out + 40], xmm2
  movq [out + 48], xmm3
  movd [out + 56], xmm7
  DUMPXMM 2, MX_NO_DE
  DUMPMEM 3, out, 15
  DUMP 4, 0
  RESETX
  addpd xmm0, xmm1
  addsd xmm1, xmm2
  subpd xmm2, xmm3
  subsd xmm3, [da]
  mulpd xmm4, xmm0
  mulsd xmm5, xmm0
  divpd xmm6, xmm3
  divsd xmm7, xmm1
  DUMPXMM 5, MX_NO_DE
  RESETX
  sqrtpd xmm0, xmm1
  sqrtsd xmm1, xmm2
  maxpd xmm2, xmm3
  minpd xmm3, xmm0
  maxsd xmm4, xmm1
  minsd xmm5, xmm2
  andpd xmm6, xmm0
  andnpd xmm7, xmm2
  DUMPXMM 6, MX_NO_DE
  RESETX
  orpd xmm0, xmm1
  xorpd xmm1, xmm2
  shufpd xmm2, xmm3, 1
  shufpd xmm3, [da], 2
  unpcklpd xmm4, xmm5
  unpckhpd xmm5, xmm6
  movmskpd eax, xmm1
  movmskpd ebx, xmm3
  DUMPXMM 7, MX_NO_DE
  DUMP 8, 0
%assign p 0
%rep 8
  RESETX
  cmppd xmm0, xmm1, p
  cmppd xmm2, xmm3, p
  cmpsd xmm4, xmm0, p
  cmppd xmm3, [dnan], p
  DUMPXMM 0x10 + p, MX_NO_DE
%assign p p + 1
%endrep
  RESETX
  comisd xmm0, xmm1
  DUMP 0x20, FL_ARITH
  comisd xmm1, xmm0
  DUMP 0x21, FL_ARITH
  ucomisd xmm2, xmm2
  DUMP 0x22, FL_ARITH
  ucomisd xmm2, [dnan]
  DUMP 0x23, FL_ARITH
  comisd xmm3, [dnan]
  DUMP 0x24, FL_ARITH
  DUMPXMM 0x25, MX_NO_DE
%assign rc 0
%rep 4
  SETMX 0x1f80 | (rc << 13)
  cvtsd2si eax, [cvd]
  cvtsd2si ebx, [cvd + 8]
  cvttsd2si ecx, [cvd + 8]
  cvtsd2si edx, [cvd + 16]
  cvttsd2si esi, [cvd + 24]
  cvtsi2sd xmm0, [cv_int]
  cvtpd2ps xmm1, [cvd]
  cvtps2pd xmm2, [cvs]
  cvtsd2ss xmm3, [cvd + 8]
  cvtss2sd xmm4, [cvs + 4]
  cvtdq2ps xmm5, [ia]
  cvtps2dq xmm6, [cvs]
  cvttps2dq xmm7, [cvs]
  DUMP 0x30 + rc, 0
  DUMPXMM 0x34 + rc, MX_NO_DE
  cvtdq2pd xmm0, [ia]
  cvtpd2dq xmm1, [cvd]
  cvttpd2dq xmm2, [cvd + 16]
  cvtpi2pd xmm3, [cv_ints]
  cvtpd2pi mm0, [cvd]
  cvttpd2pi mm1, [cvd + 16]
  movq2dq xmm4, mm0
  movdq2q mm2, xmm6
  DUMPXMM 0x38 + rc, MX_NO_DE
  DUMPMMX 0x3c + rc
  stmxcsr [mx]
  DUMPMEM 0x40 + rc, mx, 1
%assign rc rc + 1
%endrep
  emms
  SETMX 0x1f80
  ; 128-bit integer
%macro IRESET 0
  movdqa xmm0, [ia]
  movdqa xmm1, [ib]
  movdqa xmm2, [ic]
  movdqa xmm3, [id]
  movdqa xmm4, xmm0
  movdqa xmm5, xmm1
  movdqa xmm6, xmm2
  movdqa xmm7, xmm3
%endmacro
  IRESET
  paddq xmm0, xmm1
  psubq xmm4, xmm2
  pmuludq xmm5, xmm3
  paddb xmm1, xmm2
  paddsw xmm6, xmm3
  paddusb xmm7, xmm0
  psubsb xmm2, xmm3
  psubusw xmm3, [ia]
  DUMPXMM 0x50
  IRESET
  pcmpeqb xmm0, xmm4
  pcmpgtw xmm1, xmm2
  pcmpgtd xmm5, xmm3
  pcmpeqd xmm2, [ic]
  pmullw xmm3, xmm6
  pmulhw xmm6, xmm1
  pmulhuw xmm7, xmm1
  pmaddwd xmm4, xmm1
  DUMPXMM 0x51
  IRESET
  packsswb xmm0, xmm1
  packssdw xmm4, xmm2
  packuswb xmm5, xmm3
  punpcklbw xmm1, xmm2
  punpckhwd xmm6, xmm3
  punpckldq xmm2, [ia]
  punpcklqdq xmm3, xmm7
  punpckhqdq xmm7, xmm0
  DUMPXMM 0x52
  IRESET
  pshufd xmm0, xmm1, 0x1b
  pshufhw xmm1, xmm2, 0xb1
  pshuflw xmm2, xmm3, 0x4e
  pslldq xmm3, 5
  psrldq xmm4, 11
  psllw xmm5, 3
  psrad xmm6, 31
  psrlq xmm7, [cnt]
  DUMPXMM 0x53
  IRESET
  psllq xmm0, 63
  psrlw xmm1, 16
  pslld xmm2, xmm3
  psraw xmm3, [cnt]
  psadbw xmm4, xmm1
  pavgb xmm5, xmm2
  pmaxsw xmm6, xmm1
  pminub xmm7, xmm0
  pmovmskb eax, xmm1
  pextrw ebx, xmm2, 5
  pinsrw xmm0, ebx, 7
  DUMPXMM 0x54
  DUMP 0x55, 0
  pand xmm1, xmm2
  pandn xmm2, xmm3
  por xmm3, xmm4
  pxor xmm4, [ib]
  mov edi, out
  movdqa xmm5, [bytemask]
  maskmovdqu xmm6, xmm5
  movntdq [out + 16], xmm1
  movntpd [out + 32], xmm2
  mov eax, 0x13572468
  movnti [out + 48], eax
  lfence
  mfence
  clflush [out]
  DUMPXMM 0x56
  DUMPMEM 0x57, out, 13
  ret

align 16
da: dq 1.5, -2.25e100
db_: dq -0.0, 7.5e-300
dc: dq 2.0, 0.1
dd_: dq 1.0e308, -5.5
dnan: dq 0x7ff8000000000001, 1.0
ia: dd 0x80000000, 0x7fffffff, 0x00010002, 0xfffefffd
ib: dd 0x01020304, 0x80808080, 0x7f7f7f7f, 0xff00ff00
ic: dd 0x12345678, 0x9abcdef0, 0x0000ffff, 0xffff0000
id: dd 0x00000001, 0xffffffff, 0x00008000, 0x80000000
cvd: dq 2.5, -3.5, 1.0e10, -1.0e-3
cvs: dd 2.5, -3.5, 3.0e9, -1.5
cv_int: dd -123456789
cv_ints: dd 0x7fffffff, -7
align 16
cnt: dq 7, 0
align 16
bytemask: db 0x80, 0, 0x80, 0x80, 0, 0, 0xff, 0x80, 0, 0x80, 0, 0, 0, 0, 0x80, 0x80
mx: dd 0
align 16
out: times 96 db 0

%include "sys.inc"
%include "harness-end.inc"
