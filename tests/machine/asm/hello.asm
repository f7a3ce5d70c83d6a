; Prints the command line Multiboot passed, then powers off via ACPI S5.
%include "mb-common.inc"
mb_start:
  cmp eax, 0x2BADB002
  jne .bad
  mov esi, [ebx + 16]       ; cmdline
.l: lodsb
  test al, al
  jz .done
  mov dx, 0x3f8
  out dx, al
  jmp .l
.done:
  PUTC 10
  POWEROFF
.bad:
  PUTC '!'
  hlt
mb_load_end:
mb_bss_end:
