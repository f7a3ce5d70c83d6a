; Bit instructions with register and memory bit offsets (memory forms address beyond the dword),
; BSF/BSR, SHLD/SHRD by CL, and CMPXCHG success and failure paths.
%include "harness.inc"
test_main:
  mov dword [scratch], 0x0000f00f
  mov dword [scratch + 4], 0x80000001
  mov dword [scratch + 8], 0
  mov eax, 35
  bt [scratch], eax
  DUMP 1, FL_CF
  bts [scratch], eax
  DUMP 2, FL_CF
  mov eax, 63
  btr [scratch], eax
  DUMP 3, FL_CF
  mov eax, 64
  btc [scratch], eax
  DUMP 4, FL_CF
  mov eax, -1
  bt [scratch + 8], eax
  DUMP 5, FL_CF
  mov ebx, 0x00010000
  bt ebx, 48
  DUMP 6, FL_CF
  bts bx, 17
  DUMP 7, FL_CF
  btc word [scratch], 3
  DUMP 8, FL_CF
  ; BSF/BSR
  mov ecx, 0x00f00000
  bsf edx, ecx
  bsr esi, ecx
  DUMP 9, FL_ZF
  mov cx, 0x0100
  bsf dx, cx
  bsr si, cx
  DUMP 10, FL_ZF
  mov ecx, 0x80000000
  bsf edi, ecx
  bsr ebp, ecx
  DUMP 11, FL_ZF
  ; SHLD/SHRD by CL (count 0 leaves flags alone)
  mov eax, 0x12345678
  mov ebx, 0x9abcdef0
  mov cl, 12
  shld eax, ebx, cl
  DUMP 12, (FL_CF|FL_ZF|FL_SF|FL_PF)
  mov cl, 20
  shrd ebx, eax, cl
  DUMP 13, (FL_CF|FL_ZF|FL_SF|FL_PF)
  mov cl, 1
  shld ax, bx, cl
  DUMP 14, (FL_CF|FL_ZF|FL_SF|FL_PF|FL_OF)
  stc
  mov cl, 0
  shrd eax, ebx, cl
  DUMP 15, FL_ARITH
  mov cl, 33
  shld eax, ebx, cl
  DUMP 16, (FL_CF|FL_ZF|FL_SF|FL_PF|FL_OF)
  ; CMPXCHG: equal (stores) and not equal (loads into EAX)
  mov dword [scratch + 12], 0x1111
  mov eax, 0x1111
  mov edx, 0x2222
  cmpxchg [scratch + 12], edx
  DUMP 17, FL_ARITH
  mov eax, 0x3333
  cmpxchg [scratch + 12], edx
  DUMP 18, FL_ARITH
  mov al, 0x22
  mov bl, 0x44
  cmpxchg dl, bl
  DUMP 19, FL_ARITH
  ; XADD with distinct and with identical operands
  mov eax, 5
  mov ebx, 7
  xadd eax, ebx
  DUMP 20, FL_ARITH
  xadd eax, eax
  DUMP 21, FL_ARITH
  mov dword [scratch + 16], 0x7fffffff
  mov ecx, 1
  xadd [scratch + 16], ecx
  DUMP 22, FL_ARITH
  DUMPMEM 0xffff, scratch, 6
  ret
%include "harness-end.inc"
