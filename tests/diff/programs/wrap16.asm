; 16-bit address wrap-around: string instructions with 16-bit addressing crossing 0xFFFF -> 0
; (in 32-bit code through 0x67, and in real mode), 16-bit effective addresses wrapping
; ([bx+si] beyond 0xFFFF), the real-mode stack pointer wrapping below 0, LOOP/JCXZ with a 16-bit
; counter in 32-bit code (0x67), and the upper halves of ESI/EDI/ECX kept by 16-bit addressing.
%include "harness.inc"
test_main:
  call sys_init
  ; known bytes around the wrap point (DS base 0): 0xfff8..0xffff and 0x0000..0x0007
  mov dword [0xfff8], 0x13121110
  mov dword [0xfffc], 0x17161514
  mov dword [0x0000], 0x1b1a1918
  mov dword [0x0004], 0x1f1e1d1c
  mov dword [0x6000], 0
  mov dword [0x6004], 0
  cld
  mov esi, 0x1234fffc
  mov edi, 0x56786000
  mov ecx, 0xabcd0006
  a16 rep movsb                         ; SI: fffc fffd fffe ffff 0000 0001
  DUMP 1, 0
  DUMPMEM 2, 0x6000, 2
  std
  mov esi, 0x00000002
  mov edi, 0x00006007
  mov ecx, 5
  a16 rep movsb                         ; SI: 0002 0001 0000 ffff fffe, downwards
  cld
  DUMP 3, 0
  DUMPMEM 4, 0x6000, 2
  mov esi, 0x0000fffe
  a16 lodsd                             ; bytes at fffe ffff 0000 0001? (16-bit SI wraps after)
  DUMP 5, 0
  ; [bx + si] beyond 0xffff wraps to a 16-bit offset
  mov ebx, 0xfffe
  mov esi, 0x0004
  a16 mov eax, [bx + si]
  a16 lea edx, [bx + si + 0x10]
  DUMP 6, 0
  ; LOOP and JCXZ with CX in 32-bit code
  mov ecx, 0x00010002
  xor eax, eax
.l:
  inc eax
  a16 loop .l                           ; CX 2 -> 0: two iterations, ECX upper half kept
  a16 jcxz .z
  mov eax, 0xdead
.z:
  DUMP 7, 0
  ; real mode: the stack pointer wrapping
  mov eax, rm_wrap
  call call_real
  DUMPMEM 8, 0xfffc, 2
  DUMPMEM 9, 0x0000, 1
  ret

section low16
bits 16
rm_wrap:
  mov [cs:rm_sp], sp
  mov sp, 0x0002
  mov ax, 0x4142
  push ax                               ; SP 0 -> writes 0x0000
  push ax                               ; SP wraps to 0xfffe
  mov bx, sp
  pop cx
  pop dx
  mov si, sp
  mov sp, [cs:rm_sp]
  DUMP16 0x10, 0
  ; 16-bit string wrap in real mode
  mov si, 0xfffe
  mov di, 0x6010
  mov cx, 4
  rep movsb
  DUMP16 0x11, 0
  DUMPMEM16 0x12, 0x6010, 1
  ret
rm_sp: dw 0
bits 32
section .text
%include "sys.inc"
%include "harness-end.inc"
