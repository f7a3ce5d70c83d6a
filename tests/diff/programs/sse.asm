; SSE: moves (aligned/unaligned, scalar, low/high halves), packed and scalar arithmetic, square
; root, min/max, CMPPS/CMPSS with all eight predicates, COMISS/UCOMISS into EFLAGS, conversions
; to and from integers (with MXCSR rounding and truncation), logic, shuffles and unpacks,
; MOVMSKPS, LDMXCSR/STMXCSR with each rounding mode, masked exceptions (MXCSR flags, default
; results: QNaN indefinite, infinities, integer indefinite; unmasked ones raising #XM are in
; qemu-divergent/sse-unmasked.asm: QEMU 7.2 never raises #XM), and the SSE integer additions to MMX (PAVG*, PEXTRW/PINSRW, PMAX/PMIN, PMOVMSKB, PMULHUW,
; PSADBW, PSHUFW, MASKMOVQ, MOVNTQ/MOVNTPS, SFENCE). RCPPS/RSQRTPS are approximations whose exact
; bits the SDM leaves to the implementation: not compared.
%include "harness.inc"

%macro RESETX 0
  movaps xmm0, [xa]
  movaps xmm1, [xb]
  movaps xmm2, [xc]
  movaps xmm3, [xd]
  movups xmm4, [xa + 4]
  movups xmm5, [xb + 8]
  movaps xmm6, [xe]
  movaps xmm7, [xf]
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
  movss xmm0, [xc + 4]
  movss xmm1, xmm2
  movlps xmm2, [xd]
  movhps xmm3, [xa]
  movhlps xmm4, xmm5
  movlhps xmm5, xmm6
  movaps [out], xmm7
  movups [out + 20], xmm6
  movss [out + 40], xmm5
  movlps [out + 44], xmm4
  movhps [out + 52], xmm3
  DUMPXMM 2, MX_NO_DE
  DUMPMEM 3, out, 15
  RESETX
  addps xmm0, xmm1
  addss xmm1, xmm2
  subps xmm2, xmm3
  subss xmm3, [xa]
  mulps xmm4, xmm5
  mulss xmm5, xmm6
  divps xmm6, xmm7
  divss xmm7, xmm1
  DUMPXMM 4, MX_NO_DE
  RESETX
  sqrtps xmm0, xmm1
  sqrtss xmm1, xmm2
  maxps xmm2, xmm3
  minps xmm3, xmm6
  maxss xmm4, xmm7
  minss xmm5, xmm6
  andps xmm6, xmm0
  andnps xmm7, xmm2
  DUMPXMM 5, MX_NO_DE
  RESETX
  orps xmm0, xmm1
  xorps xmm1, xmm2
  shufps xmm2, xmm3, 0x1b
  shufps xmm3, [xa], 0xe4
  unpcklps xmm4, xmm5
  unpckhps xmm5, xmm6
  movmskps eax, xmm6
  movmskps ebx, xmm7
  DUMPXMM 6, MX_NO_DE
  DUMP 7, 0
  ; CMPPS/CMPSS: eq lt le unord neq nlt nle ord
%assign p 0
%rep 8
  RESETX
  cmpps xmm0, xmm1, p
  cmpps xmm6, xmm7, p
  cmpss xmm2, xmm3, p
  cmpps xmm4, xmm6, p
  DUMPXMM 0x10 + p, MX_NO_DE
%assign p p + 1
%endrep
  ; COMISS/UCOMISS
  RESETX
  xor eax, eax
  comiss xmm0, xmm1
  DUMP 0x20, FL_ARITH
  comiss xmm1, xmm0
  DUMP 0x21, FL_ARITH
  comiss xmm2, xmm2
  DUMP 0x22, FL_ARITH
  ucomiss xmm6, xmm7
  DUMP 0x23, FL_ARITH
  ucomiss xmm7, [xf]
  DUMP 0x24, FL_ARITH
  comiss xmm6, xmm7
  DUMP 0x25, FL_ARITH
  DUMPXMM 0x26, MX_NO_DE
  ; conversions under each rounding mode
%assign rc 0
%rep 4
  SETMX 0x1f80 | (rc << 13)
  cvtss2si eax, [cv]
  cvtss2si ebx, [cv + 4]
  cvttss2si ecx, [cv + 4]
  cvtss2si edx, [cv + 8]
  cvttss2si esi, [cv + 12]
  mov edi, 0x7fffffff
  cvtsi2ss xmm0, edi
  cvtsi2ss xmm1, [cv_int]
  cvtpi2ps xmm2, [cv_ints]
  cvtps2pi mm0, [cv]
  cvttps2pi mm1, [cv]
  movq [out], mm0
  movq [out + 8], mm1
  DUMP 0x30 + rc, 0
  DUMPXMM 0x34 + rc, MX_NO_DE
  DUMPMEM 0x38 + rc, out, 4
  stmxcsr [mx]
  DUMPMEM 0x3c + rc, mx, 1
%assign rc rc + 1
%endrep
  ; masked exceptions and MXCSR flags
  SETMX 0x1f80
  movaps xmm0, [zeros]
  divps xmm0, [zeros]       ; 0/0: invalid
  movaps xmm1, [ones]
  divps xmm1, [zeros]       ; zero divide
  movaps xmm2, [bigs]
  mulps xmm2, [bigs]        ; overflow + precision
  movaps xmm3, [smalls]
  mulps xmm3, [smalls]      ; underflow + precision
  stmxcsr [mx]
  DUMPXMM 0x40, MX_NO_DE
  DUMPMEM 0x41, mx, 1
  SETMX 0x9f80              ; flush to zero
  movaps xmm3, [smalls]
  mulps xmm3, [smalls]
  stmxcsr [mx]
  DUMPXMM 0x42, MX_NO_DE
  DUMPMEM 0x43, mx, 1
  SETMX 0x1f80
  mov eax, 0x7f800001
  movd xmm4, eax
  addss xmm4, [ones]        ; signalling NaN: invalid, quieted
  cvttss2si eax, [bigs]     ; out of range: integer indefinite
  stmxcsr [mx]
  DUMP 0x44, 0
  DUMPXMM 0x45, MX_NO_DE
  DUMPMEM 0x46, mx, 1
  ; SSE integer instructions on MMX registers
  movq mm0, [qa]
  movq mm1, [qb]
  movq mm2, mm0
  pavgb mm2, mm1
  movq mm3, mm0
  pavgw mm3, [qb]
  pextrw eax, mm1, 2
  pinsrw mm4, eax, 1
  pinsrw mm4, [qa + 6], 3
  movq mm5, mm0
  pmaxsw mm5, mm1
  movq mm6, mm0
  pmaxub mm6, mm1
  movq mm7, mm0
  pminsw mm7, mm1
  DUMPMMX 0x50
  movq mm2, mm0
  pminub mm2, mm1
  pmovmskb ebx, mm1
  movq mm3, mm0
  pmulhuw mm3, mm1
  movq mm4, mm0
  psadbw mm4, mm1
  pshufw mm5, mm1, 0x1b
  pshufw mm6, [qa], 0xb1
  mov edi, out
  movq mm7, [mask]
  maskmovq mm1, mm7
  movntq [out + 8], mm0
  movntps [out + 16], xmm7
  sfence
  DUMPMMX 0x51
  DUMP 0x52, 0
  DUMPMEM 0x53, out, 8
  emms
  ret

align 16
xa: dd 1.5, -2.25, 3.0e10, 1.0e-20
xb: dd -0.0, 7.5, -3.0e10, 0.1
xc: dd 2.0, 2.0, 0.0, -1.0
xd: dd 1.0e38, -1.0e-38, 5.5, -5.5
xe: dd 0x7fc00001, 1.0, 0xffc00000, 0x7f800000
xf: dd 1.0, 0x7fc00002, 0xff800000, 0x00000001
zeros: dd 0.0, 0.0, -0.0, 0.0
ones: dd 1.0, -1.0, 1.0, -1.0
bigs: dd 3.0e38, 3.0e38, -3.0e38, 1.0e37
smalls: dd 1.0e-30, -1.0e-25, 1.0e-20, 1.0e-22
cv: dd 2.5, -3.5, 1.0e10, -1.0e-3
cv_int: dd -123456789
cv_ints: dd 0x7fffffff, -7
mx: dd 0
qa: dq 0x8000_7fff_0102_80ff
qb: dq 0xff01_8001_7f7f_0080
mask: dq 0x80_00_80_80_00_00_ff_80
align 16
out: times 96 db 0

%include "sys.inc"
%include "harness-end.inc"
