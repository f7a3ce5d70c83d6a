; Writes to port 0x7777, where the test has registered a handler that throws (an emulator bug).
%include "mb-common.inc"
mb_start:
  PUTC 'y'
  mov dx, 0x7777
  out dx, al
  PUTC 'z'
  hlt
mb_load_end:
mb_bss_end:
