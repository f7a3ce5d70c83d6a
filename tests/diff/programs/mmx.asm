; MMX: moves (MOVD/MOVQ to/from registers and memory), packed add/sub with wrap-around and signed/
; unsigned saturation, multiplies (PMULLW/PMULHW/PMADDWD), compares, logic, shifts by register,
; memory and immediate (including counts beyond the element size), packs and unpacks, EMMS.
; The MMX registers are dumped through FXSAVE as the x87 registers they alias (exponent 0xffff
; after an MMX write, TOP 0 and all tags valid; EMMS empties them); DUMPMMX leaves the exponent
; fields out (QEMU does not set them to ones, README.md).
%include "harness.inc"
test_main:
  call sys_init
  call fpu_init
  movq mm0, [qa]
  movq mm1, [qb]
  movq mm2, [qc]
  mov eax, 0x80017fff
  movd mm3, eax
  movd mm4, [qd]
  movq mm5, mm0
  movq mm6, mm1
  movq mm7, mm2
  DUMPMMX 1
  paddb mm0, mm1
  paddw mm5, mm1
  paddd mm6, mm2
  psubb mm7, mm1
  psubw mm3, [qa]
  psubd mm4, mm0
  DUMPMMX 2
%macro RESET 0
  movq mm0, [qa]
  movq mm1, [qb]
  movq mm2, [qc]
  movq mm3, [qd]
  movq mm4, mm0
  movq mm5, mm1
  movq mm6, mm2
  movq mm7, mm3
%endmacro
  RESET
  paddsb mm0, mm1
  paddsw mm4, mm1
  paddusb mm5, mm2
  paddusw mm6, mm1
  psubsb mm7, mm2
  psubsw mm1, mm2
  psubusb mm2, mm3
  psubusw mm3, [qa]
  DUMPMMX 3
  RESET
  pmullw mm0, mm1
  pmulhw mm4, mm1
  pmaddwd mm5, mm2
  pmullw mm6, [qd]
  DUMPMMX 4
  RESET
  pcmpeqb mm0, mm4
  pcmpeqw mm1, mm2
  pcmpeqd mm5, [qb]
  pcmpgtb mm2, mm3
  pcmpgtw mm6, mm7
  pcmpgtd mm3, mm1
  DUMPMMX 5
  RESET
  pand mm0, mm1
  pandn mm4, mm2
  por mm5, mm3
  pxor mm6, [qa]
  DUMPMMX 6
  RESET
  psllw mm0, 3
  psrlw mm1, 15
  psraw mm2, 16
  pslld mm3, 31
  psrld mm4, 33
  psrad mm5, 7
  psllq mm6, 63
  psrlq mm7, 64
  DUMPMMX 7
  RESET
  movq mm7, [cnt]
  psllw mm0, mm7
  psrad mm1, mm7
  psrlq mm2, [cnt]
  movd mm6, [cnt_big]
  psrlw mm3, mm6
  psraw mm4, mm6
  DUMPMMX 8
  RESET
  packsswb mm0, mm1
  packssdw mm4, mm2
  packuswb mm5, mm3
  punpcklbw mm1, mm2
  punpcklwd mm6, mm3
  punpckldq mm2, [qa]
  punpckhbw mm3, mm7
  punpckhwd mm7, mm0
  DUMPMMX 9
  RESET
  punpckhdq mm0, mm1
  movd eax, mm2
  movd [out], mm3
  movq [out + 4], mm4
  DUMP 10, 0
  DUMPMEM 11, out, 3
  emms
  DUMPMMX 12
  fld1                      ; x87 after EMMS
  DUMPMMX 13
  ret

align 16
qa: dq 0x8000_7fff_0102_80ff
qb: dq 0xff01_8001_7f7f_0080
qc: dq 0x1234_5678_9abc_def0
qd: dq 0x0001_0002_fffe_ffff
cnt: dq 5
cnt_big: dd 0x20
align 16
out: times 16 db 0

%include "sys.inc"
%include "harness-end.inc"
