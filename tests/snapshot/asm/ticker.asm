; Counts forever: prints the counter as 8 hex digits and a newline on COM1, then spins a while.
; Output of a run resumed from a snapshot continues the count with no gap and no restart.
%include "mb-common.inc"
mb_start:
  mov esp, 0x90000          ; Multiboot leaves ESP undefined
  xor esi, esi
.next:
  inc esi
  mov [0x200000], esi
  mov ebx, esi
  mov ecx, 8
.digit:
  rol ebx, 4
  mov eax, ebx
  and eax, 15
  mov al, [hexdigits + eax]
  mov dx, 0x3f8
  out dx, al
  loop .digit
  PUTC 10
  mov edi, 100000
.spin:
  dec edi
  jnz .spin
  jmp .next
hexdigits: db "0123456789abcdef"
mb_load_end:
mb_bss_end:
