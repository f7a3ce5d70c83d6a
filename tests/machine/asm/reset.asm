; First boot: marks RAM at 0x300000, prints A and resets through port 0xCF9.
; Second boot: prints B, then triple-faults once (marker 2) and powers off on the third boot.
%include "mb-common.inc"
mb_start:
  mov eax, [0x300000]
  cmp eax, 1
  je .second
  cmp eax, 2
  je .third
  mov dword [0x300000], 1
  PUTC 'A'
  mov dx, 0xcf9
  mov al, 0x02
  out dx, al
  mov al, 0x06
  out dx, al
  hlt
.second:
  mov dword [0x300000], 2
  PUTC 'B'
  lidt [bad_idt]
  int3                      ; IDT limit 0: #GP → #DF → triple fault
  hlt
.third:
  PUTC 'C'
  POWEROFF
bad_idt:
  dw 0
  dd 0
mb_load_end:
mb_bss_end:
