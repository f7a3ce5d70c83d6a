; First boot: marks RAM at 0x300000, prints A and pulses the reset line through the keyboard
; controller (command 0xFE on port 0x64), the way a BIOS reboots on Ctrl+Alt+Del.
; Second boot: prints B and powers off.
%include "mb-common.inc"
mb_start:
  cmp dword [0x300000], 1
  je .second
  mov dword [0x300000], 1
  PUTC 'A'
  mov al, 0xfe
  out 0x64, al
  hlt
.second:
  PUTC 'B'
  POWEROFF
mb_load_end:
mb_bss_end:
