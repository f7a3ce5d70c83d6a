; Counts the bytes it receives on COM1 (UART receive interrupt, IRQ 4): for each byte it answers
; the byte and the count so far (one decimal digit, mod 10) and a newline; sleeps in HLT between.
; The count lives in RAM, so a snapshot test sees which state the guest continued from.
%include "mb-common.inc"
mb_start:
  mov esp, 0x90000
  LOAD_FLAT_GDT
  IDT_GATE 0x24, irq4
  lidt [idtr]
  ; only IRQ 4 unmasked
  PIC_INIT 0xef, 0xff
  mov dx, 0x3f9             ; IER: received data available
  mov al, 1
  out dx, al
  mov dx, 0x3fc             ; MCR: DTR, RTS, OUT2 (IRQ line enabled)
  mov al, 0x0b
  out dx, al
  PUTC 'R'
  PUTC 10
  sti
.sleep:
  hlt
  jmp .sleep

irq4:
  push eax
  push edx
.next:
  mov dx, 0x3fd             ; LSR: data ready?
  in al, dx
  test al, 1
  jz .eoi
  mov dx, 0x3f8
  in al, dx
  out dx, al
  inc dword [count]
  mov eax, [count]
  xor edx, edx
  push ecx
  mov ecx, 10
  div ecx
  pop ecx
  lea eax, [edx + '0']
  mov dx, 0x3f8
  out dx, al
  mov al, 10
  out dx, al
  jmp .next
.eoi:
  mov al, 0x20
  out 0x20, al
  pop edx
  pop eax
  iret

FLAT_GDT
count: dd 0
idtr:
  dw 256 * 8 - 1
  dd idt
mb_load_end:
idt: resb 256 * 8
mb_bss_end:
