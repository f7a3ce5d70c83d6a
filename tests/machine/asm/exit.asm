; Writes 0x10 to QEMU's isa-debug-exit port: the machine stops with status (0x10 << 1) | 1 = 0x21.
%include "mb-common.inc"
mb_start:
  PUTC 'x'
  mov al, 0x10
  out 0xf4, al
  hlt
mb_load_end:
mb_bss_end:
