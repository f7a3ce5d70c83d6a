; Sends 100000 bytes (byte i = i & 0xFF) on COM1, waiting for THRE before each byte only a bounded
; number of polls and then sending anyway, as Linux's serial console does; then powers off.
%include "mb-common.inc"
COUNT equ 100000
mb_start:
  mov esp, 0x90000
  xor ebx, ebx
.next:
  mov ecx, 200
.poll:
  mov dx, 0x3fd
  in al, dx
  test al, 0x20
  jnz .send
  dec ecx
  jnz .poll
.send:
  mov dx, 0x3f8
  mov al, bl
  out dx, al
  inc ebx
  cmp ebx, COUNT
  jb .next
  POWEROFF
mb_load_end:
mb_bss_end:
