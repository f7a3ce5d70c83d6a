; Legacy x87 error reporting: with CR0.NE=0 an unmasked x87 exception is not a #MF fault; the FPU's
; FERR# output raises IRQ 13 (slave 8259 line 5, vector 0x2D here). The handler prints 'I', clears the
; latch through port 0xF0, clears the exception (FNCLEX) and ends the interrupt. Main prints 'D' after
; the interrupt was seen ('T' if it never came) and powers off. Any other vector prints '!'.
%include "mb-common.inc"
mb_start:
  mov esp, 0x90000
  LOAD_FLAT_GDT
  ; every vector -> other, then 0x2D -> irq13
  xor ecx, ecx
.fill:
  mov eax, other
  call set_gate
  inc ecx
  cmp ecx, 256
  jb .fill
  mov ecx, 0x2d
  mov eax, irq13
  call set_gate
  lidt [idtr]
  ; only IRQ 2 (cascade) and IRQ 13 unmasked
  PIC_INIT 0xfb, 0xdf
  ; CR0: NE=0 (FERR# -> IRQ 13), MP=1, EM=0, TS=0
  mov eax, cr0
  and eax, ~((1 << 5) | (1 << 3) | (1 << 2))
  or eax, 1 << 1
  mov cr0, eax
  sti
  fninit
  fldcw [control]           ; invalid operation unmasked
  fld1
  fchs
  fsqrt                     ; sqrt(-1): invalid operation, now pending
  fwait                     ; a waiting instruction reports it: FERR# -> IRQ 13
  mov ecx, 100000
.wait:
  cmp dword [seen], 0
  jne .done
  dec ecx
  jnz .wait
  PUTC 'T'
  POWEROFF
.done:
  PUTC 'D'
  POWEROFF

; ecx = vector, eax = handler: 32-bit interrupt gate with the current CS
set_gate:
  mov word [idt + ecx * 8], ax
  mov word [idt + ecx * 8 + 2], cs
  mov word [idt + ecx * 8 + 4], 0x8e00
  shr eax, 16
  mov word [idt + ecx * 8 + 6], ax
  ret

irq13:
  push eax
  push edx
  inc dword [seen]
  PUTC 'I'
  xor al, al
  out 0xf0, al              ; clear the FPU error latch (lowers IRQ 13)
  fnclex
  mov al, 0x20
  out 0xa0, al
  out 0x20, al
  pop edx
  pop eax
  iret

other:
  PUTC '!'
  POWEROFF

FLAT_GDT
idtr:
  dw 256 * 8 - 1
  dd idt
control: dw 0x037e
seen: dd 0
mb_load_end:
idt: resb 256 * 8
mb_bss_end:
