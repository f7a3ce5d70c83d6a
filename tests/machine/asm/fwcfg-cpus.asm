; Reads QEMU's fw_cfg (selector 0x510, data 0x511) the way SMP-aware teaching kernels do, and prints
; the signature, interface id, CPU count, CPU limit, RAM size and the IRQ0-override flag.
%include "mb-common.inc"
%include "mb-print.inc"

; eax = the first ecx (1-4) bytes of fw_cfg item bx, little-endian
fwcfg_read:
  push ebx
  push ecx
  push edx
  mov dx, 0x510
  mov ax, bx
  out dx, ax
  mov dx, 0x511
  xor ebx, ebx
  shl ecx, 3
  xor ch, ch
  push ecx
  xor ecx, ecx
.byte:
  in al, dx
  movzx eax, al
  shl eax, cl
  or ebx, eax
  add cl, 8
  cmp cl, [esp]
  jb .byte
  add esp, 4
  mov eax, ebx
  pop edx
  pop ecx
  pop ebx
  ret

mb_start:
  mov esp, 0x90000
  PRINT "fw_cfg signature '"
  mov dx, 0x510
  xor ax, ax
  out dx, ax
  mov dx, 0x511
  mov ecx, 4
.sig:
  in al, dx
  call putc
  loop .sig
  PRINT "' id "
  mov bx, 0x01
  mov ecx, 4
  call fwcfg_read
  mov ecx, 8
  call puthex
  PRINT 10, "cpus "
  mov bx, 0x05
  mov ecx, 2
  call fwcfg_read
  call putdec
  PRINT ", max cpus "
  mov bx, 0x0f
  mov ecx, 2
  call fwcfg_read
  call putdec
  PRINT 10, "ram "
  mov bx, 0x03
  mov ecx, 4
  call fwcfg_read
  shr eax, 20
  call putdec
  PRINT " MiB, irq0 override "
  mov bx, 0x8002
  mov ecx, 4
  call fwcfg_read
  call putdec
  PRINT 10
  DEBUG_EXIT
mb_load_end:
mb_bss_end:
