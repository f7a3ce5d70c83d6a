; BCD adjust instructions (with their defined flags), XLAT, LAHF/SAHF, SALC-free byte tricks,
; CBW/CWD family, BOUND-free sign extension, and 16-bit operand-size arithmetic.
%include "harness.inc"
test_main:
  ; DAA/DAS: CF AF defined plus SF ZF PF; OF undefined
  mov al, 0x79
  add al, 0x35
  daa
  DUMP 1, (FL_CF|FL_AF|FL_SF|FL_ZF|FL_PF)
  mov al, 0x99
  add al, 0x01
  daa
  DUMP 2, (FL_CF|FL_AF|FL_SF|FL_ZF|FL_PF)
  mov al, 0x35
  sub al, 0x47
  das
  DUMP 3, (FL_CF|FL_AF|FL_SF|FL_ZF|FL_PF)
  ; AAA/AAS: AF and CF defined
  mov ax, 0x0009
  add al, 0x08
  aaa
  DUMP 4, (FL_CF|FL_AF)
  mov ax, 0x0102
  sub al, 0x05
  aas
  DUMP 5, (FL_CF|FL_AF)
  ; AAM/AAD: SF ZF PF defined
  mov al, 79
  aam
  DUMP 6, (FL_SF|FL_ZF|FL_PF)
  mov ax, 0x0709
  aad
  DUMP 7, (FL_SF|FL_ZF|FL_PF)
  mov al, 100
  aam 16
  DUMP 8, (FL_SF|FL_ZF|FL_PF)
  mov ax, 0x0305
  aad 7
  DUMP 9, (FL_SF|FL_ZF|FL_PF)
  ; XLAT
  mov dword [scratch], 0x33221100
  mov dword [scratch + 4], 0x77665544
  mov ebx, scratch
  mov al, 6
  xlatb
  DUMP 10, FL_ALL
  ; LAHF/SAHF
  mov ah, 0xd5
  sahf
  DUMP 11, FL_ALL
  xor eax, eax
  stc
  lahf
  DUMP 12, FL_ALL
  ; sign extensions
  mov eax, 0x1234ff80
  cbw
  DUMP 13, FL_ALL
  cwde
  DUMP 14, FL_ALL
  cwd
  DUMP 15, FL_ALL
  cdq
  DUMP 16, FL_ALL
  ; 16-bit operand-size arithmetic keeps the upper halves
  mov eax, 0xaaaa7fff
  mov ebx, 0xbbbb0001
  add ax, bx
  DUMP 17, FL_ARITH
  adc bx, ax
  DUMP 18, FL_ARITH
  sub ax, 0x8001
  DUMP 19, FL_ARITH
  ; 8-bit high registers
  mov eax, 0x11223344
  add ah, al
  DUMP 20, FL_ARITH
  sbb ah, 0x7f
  DUMP 21, FL_ARITH
  xchg ah, al
  DUMP 22, FL_ARITH
  ; MOVZX/MOVSX from memory, XCHG with memory, BSWAP
  mov dword [scratch + 8], 0x8081fe7f
  movzx ecx, byte [scratch + 9]
  movsx edx, byte [scratch + 9]
  movsx esi, word [scratch + 10]
  movzx edi, word [scratch + 10]
  DUMP 23, FL_ALL
  xchg [scratch + 8], ecx
  bswap ecx
  DUMP 24, FL_ALL
  ; SETcc on every condition after one compare
  mov eax, 0x80000000
  cmp eax, 1
  seto bl
  setb bh
  sete cl
  setbe ch
  sets dl
  setp dh
  setl al
  setle ah
  DUMP 25, FL_ARITH
  DUMPMEM 0xffff, scratch, 4
  ret
%include "harness-end.inc"
