; A Multiboot ELF kernel with symbols for the GDB stub's acceptance test (tests/debug/gdb-stub.test.ts):
; _start loads known values into registers and calls set_values (where gdb breaks), which sets two
; more; bump increments `counter` three times (gdb watches it); `fill` is a REP STOSD long enough to
; be restarted in chunks (a breakpoint on it must stop once); then "done" goes to COM1 and
; isa-debug-exit 0x10 ends the run with status 0x21.
; nasm -f elf32 gdb-target.asm && ld -m elf_i386 -N -Ttext=0x100000 -e _start gdb-target.o
bits 32
section .text
global _start, set_values, bump, counter, fill, buffer

align 4
mb_header:
  dd 0x1BADB002
  dd 0
  dd -0x1BADB002

_start:
  mov esp, stack_top
  mov eax, 0xC0DE0001
  mov ebx, 0xC0DE0002
  mov ecx, 0xC0DE0003
  mov esi, 0xC0DE0006
  mov edi, 0xC0DE0007
  call set_values
  mov ecx, 3
.again:
  call bump
  loop .again
  mov edi, buffer
  mov ecx, BUFFER_DWORDS
  mov eax, 0x01010101
fill:
  rep stosd
  mov dx, 0x3f8
  mov esi, done_text
.print:
  lodsb
  test al, al
  jz .exit
  out dx, al
  jmp .print
.exit:
  mov al, 0x10
  out 0xf4, al
  hlt

set_values:
  mov edx, 0x5E7D0A1A
  mov ebp, 0x5E7D0B1B
  ret

bump:
  add dword [counter], 1
  ret

done_text: db "done", 10, 0

section .bss align=4096
align 4
counter: resd 1
stack: resb 4096
stack_top:
BUFFER_DWORDS equ 0x4000
buffer: resd BUFFER_DWORDS
