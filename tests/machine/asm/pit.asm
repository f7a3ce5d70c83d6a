; PIT channel 0 at ~1 kHz through the 8259 (vectors 0x20-0x2F); counts 200 IRQ 0 ticks while
; sleeping in HLT, prints '.' every 50 ticks (4 in all), then powers off. The test checks the virtual time.
%include "mb-common.inc"
mb_start:
  mov esp, 0x90000
  LOAD_FLAT_GDT
  IDT_GATE 0x20, irq0
  lidt [idtr]
  ; only IRQ 0 unmasked
  PIC_INIT 0xfe, 0xff
  ; PIT channel 0, lo/hi, mode 2, divisor 1193 (~1000.15 Hz)
  mov al, 0x34
  out 0x43, al
  mov ax, 1193
  out 0x40, al
  mov al, ah
  out 0x40, al
  sti
.sleep:
  hlt
  cmp dword [ticks], 200
  jb .sleep
  cli
  PUTC 10
  POWEROFF

irq0:
  push eax
  push edx
  inc dword [ticks]
  mov eax, [ticks]
  xor edx, edx
  push ecx
  mov ecx, 50
  div ecx
  pop ecx
  test edx, edx
  jnz .eoi
  mov dx, 0x3f8
  mov al, '.'
  out dx, al
.eoi:
  mov al, 0x20
  out 0x20, al
  pop edx
  pop eax
  iret

FLAT_GDT
ticks: dd 0
idtr:
  dw 256 * 8 - 1
  dd idt
mb_load_end:
idt: resb 256 * 8
mb_bss_end:
