; Stack and control flow: PUSH/POP forms, PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE, CALL/RET imm,
; LOOP/LOOPE/LOOPNE/JECXZ, conditional jumps.
%include "harness.inc"
test_main:
  mov eax, 0x11111111
  mov ebx, 0x22222222
  mov ecx, 0x33333333
  mov edx, 0x44444444
  push eax
  push word 0x5566
  push dword -3
  push byte -2
  DUMP 1, FL_ALL
  pop esi
  pop edi
  pop bx
  pop edx
  DUMP 2, FL_ALL
  pushad
  mov eax, 0
  mov ebx, 0
  mov ebp, 0x12345678
  popad
  DUMP 3, FL_ALL
  pusha
  popa
  DUMP 4, FL_ALL
  ; POPF can set flags (but not IOPL/VM in this setting): set CF ZF SF OF DF
  push dword 0x8c3
  popfd
  DUMP 5, FL_ALL
  pushfd
  pop eax
  and eax, 0xcd5
  cld
  clc
  DUMP 6, FL_ALL
  ; ENTER with nesting levels 0, 1, 3 and LEAVE
  mov ebp, esp
  enter 16, 0
  DUMP 7, FL_ALL
  leave
  enter 8, 1
  DUMP 8, FL_ALL
  leave
  enter 4, 3
  DUMP 9, FL_ALL
  leave
  DUMP 10, FL_ALL
  ; CALL/RET with immediate pop
  push dword 0xaaaa
  push dword 0xbbbb
  call callee
  DUMP 11, FL_ALL
  ; LOOP family
  mov ecx, 10
  xor eax, eax
.l1:
  add eax, ecx
  loop .l1
  DUMP 12, FL_ALL
  mov ecx, 10
  mov esi, scratch
  mov dword [scratch + 12], 7
.l2:
  lodsd
  test eax, eax
  loope .l2
  DUMP 13, FL_ALL
  mov ecx, 5
.l3:
  cmp ecx, 3
  loopne .l3
  DUMP 14, FL_ALL
  xor ecx, ecx
  mov eax, 1
  jecxz .zero
  mov eax, 2
.zero:
  DUMP 15, FL_ALL
  ; signed/unsigned conditional jumps after compares
  xor edx, edx
  mov eax, -5
  cmp eax, 3
  jl .a1
  or edx, 1
.a1:
  jb .a2
  or edx, 2
.a2:
  jg .a3
  or edx, 4
.a3:
  ja .a4
  or edx, 8
.a4:
  jo .a5
  or edx, 16
.a5:
  js .a6
  or edx, 32
.a6:
  jp .a7
  or edx, 64
.a7:
  DUMP 16, FL_ARITH
  ; indirect jump and call through registers and memory
  mov eax, .target
  jmp eax
  mov edx, 0xbad
.target:
  mov dword [scratch], callee2
  call [scratch]
  DUMP 17, FL_ARITH
  ret

callee:
  mov eax, [esp + 4]
  mov ebx, [esp + 8]
  ret 8

callee2:
  mov esi, 0x600d
  ret
%include "harness-end.inc"
