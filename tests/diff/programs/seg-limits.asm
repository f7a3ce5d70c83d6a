; Segments that are not flat, accessed inside their limits (nothing here may fault): an expand-up
; data segment up to its last byte, expand-down data segments with B=0 (offsets limit+1..0xFFFF)
; and B=1 with 4 KiB granularity (limit+1..0xFFFFFFFF, base + offset wrapping around 4 GiB), an
; expand-down stack down to its lowest valid offset, REP MOVS/STOS ending exactly at a limit, FXSAVE
; and FNSAVE images ending at the limit, real-mode operands ending at 0xFFFF, and "unreal mode": a
; 4 GiB limit loaded in protected mode stays in the segment cache after the return to real mode,
; through later real-mode loads. QEMU 7.2 does not check segment limits at all, so this program shows
; that Hypertab's checks raise nothing where they must not and that both compute the same linear
; addresses; the faults themselves are in qemu-divergent/seg-limits-faults.asm.
%include "harness.inc"

%define SEL_DLIM   (SEL_SPARE + 0x00)   ; data, expand-up, base 0x200000, limit 0xFFF, B=1
%define SEL_DOWN16 (SEL_SPARE + 0x08)   ; data, expand-down, base 0x300000, limit 0xFFF, B=0
%define SEL_DOWN32 (SEL_SPARE + 0x10)   ; data, expand-down, base 0x400000, limit 0xFFFFEFFF (G=1), B=1
%define SEL_SDOWN  (SEL_SPARE + 0x18)   ; stack, expand-down, base 0x600000, limit 0xFFF, B=1

test_main:
  call sys_init
  mov dword [gdt + SEL_DLIM], 0x00000fff
  mov dword [gdt + SEL_DLIM + 4], 0x00409320
  mov dword [gdt + SEL_DOWN16], 0x00000fff
  mov dword [gdt + SEL_DOWN16 + 4], 0x00009730
  mov dword [gdt + SEL_DOWN32], 0x0000fffe
  mov dword [gdt + SEL_DOWN32 + 4], 0x00cf9740
  mov dword [gdt + SEL_SDOWN], 0x00000fff
  mov dword [gdt + SEL_SDOWN + 4], 0x00409760
  ; clear the areas (through the flat segment)
  cld
  xor eax, eax
  mov edi, 0x200000
  mov ecx, 0x1000 / 4
  rep stosd
  mov edi, 0x300ff0
  mov ecx, 0x20 / 4
  rep stosd
  mov edi, 0x30fff0
  mov ecx, 0x10 / 4
  rep stosd
  mov edi, 0x3ff000
  mov ecx, 0x10 / 4
  rep stosd
  mov edi, 0x3ffff0
  mov ecx, 0x10 / 4
  rep stosd
  mov edi, 0x600ff0
  mov ecx, 0x40 / 4
  rep stosd

  ; expand-up: the last byte, word and dword
  mov ax, SEL_DLIM
  mov ds, ax
  mov byte [0xfff], 0x11
  mov word [0xffc], 0x2233
  mov dword [0xff8], 0x44556677
  mov ebp, 0xffc
  add dword [ds:ebp], 1
  mov al, [0xfff]
  mov bx, [0xffe]
  mov ecx, [0xffc]
  mov edx, [0xff8]
  movzx esi, word [0xffe]
  mov edi, eax
  mov eax, [0xffc]                      ; moffs form
  push dword SEL_DATA0
  pop ds
  DUMP 1, 0
  DUMPMEM 2, 0x200ff0, 4

  ; expand-down, B=0: offsets 0x1000..0xFFFF
  mov ax, SEL_DOWN16
  mov es, ax
  mov dword [es:0x1000], 0x01020304
  mov byte [es:0xffff], 0x05
  mov word [es:0xfffd], 0x0607
  mov eax, [es:0x1000]
  mov bl, [es:0xffff]
  mov cx, [es:0xfffe]
  DUMP 3, 0
  DUMPMEM 4, 0x300ff8, 4
  DUMPMEM 5, 0x30fff0, 4

  ; expand-down, B=1, G=1: offsets 0xFFFFF000..0xFFFFFFFF, linear base + offset mod 4 GiB
  mov ax, SEL_DOWN32
  mov es, ax
  mov dword [es:0xfffff000], 0x08090a0b
  mov dword [es:0xfffffffc], 0x0c0d0e0f
  mov byte [es:0xffffffff], 0x10
  mov eax, [es:0xfffff000]
  mov ebx, [es:0xfffffffc]
  DUMP 6, 0
  DUMPMEM 7, 0x3ff000, 2
  DUMPMEM 8, 0x3ffff8, 2

  ; an expand-down stack used down to its lowest valid offset (0x1000)
  mov [saved_esp], esp
  mov ax, SEL_SDOWN
  mov ss, ax
  mov esp, 0x1010
  push dword 0x21
  push dword 0x22
  push dword 0x23
  push dword 0x24
  mov ebp, esp
  mov eax, [ebp]                        ; SS-relative
  pop ebx
  pop ecx
  enter 0x4, 0                          ; ESP 0x1008 -> push EBP at 0x1004, ESP 0x1000
  mov edx, esp
  leave
  mov esi, esp
  mov ax, SEL_DATA0
  mov ss, ax
  mov esp, [saved_esp]
  DUMP 9, 0
  DUMPMEM 10, 0x601000, 4

  ; REP MOVSB / STOSD ending exactly at the limit; REP STOSB down to an expand-down limit+1
  mov ax, SEL_DLIM
  mov es, ax
  mov edi, 0xf00
  mov ecx, 0x40
  mov eax, 0xa5a5a5a5
  rep stosd
  mov esi, pattern
  mov edi, 0xfe0
  mov ecx, 0x20
  rep movsb
  DUMP 11, 0
  mov ax, SEL_DOWN16
  mov es, ax
  std
  mov edi, 0x1007
  mov ecx, 8
  mov al, 0x5a
  rep stosb
  cld
  DUMP 12, 0
  DUMPMEM 13, 0x200fd0, 12
  DUMPMEM 14, 0x301000, 2

  ; real mode: operands ending at 0xFFFF, and unreal mode
  mov dword [0x300000], 0x31323334
  mov eax, real_part
  call call_real
  DUMPMEM 0x24, 0xfffc, 1
  DUMPMEM 0x25, 0x300000, 1

  ; FXSAVE / FNSAVE images ending at the limit (FCW, FSW and MXCSR are compared)
  call fpu_init
  fldpi
  mov ax, SEL_DLIM
  mov ds, ax
  fxsave [0xe00]
  fnsave [0xf94]
  fldz
  fxrstor [0xe00]
  frstor [0xf94]
  mov ax, SEL_DATA0
  mov ds, ax
  movzx eax, word [0x200e00]            ; FCW of the FXSAVE image
  mov ebx, [0x200e18]                   ; MXCSR
  movzx ecx, word [0x200f94]            ; FCW of the FNSAVE image
  DUMP 0x30, 0
  DUMPFPU 0x31, FSW_NO_C1

  ret

section low16
bits 16
real_part:
  mov dword [0xfffc], 0x3f3f3f3f
  mov byte [0xffff], 0x41
  mov word [0xfffd], 0x4243
  mov al, [0xffff]
  mov bx, [0xfffe]
  mov ecx, [0xfffc]
  mov bp, 0xfffe
  mov dx, [bp]                          ; SS-relative, last word
  DUMP16 0x20, 0
  ; load FS with a flat 4 GiB segment in protected mode, back to real mode, reload FS there
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp SEL_CODE16:.pm
.pm:
  mov ax, SEL_DATA0
  mov fs, ax
  mov eax, cr0
  and al, 0xfe
  mov cr0, eax
  jmp 0:.real
.real:
  xor ax, ax
  mov fs, ax                            ; base 0 again, the 4 GiB limit stays
  mov eax, [fs:dword 0x300000]
  mov dword [fs:dword 0x300000], 0x35363738
  mov ebx, [fs:dword 0x300000]
  mov ecx, [fs:dword 0xfffc]
  DUMP16 0x21, 0
  ret
bits 32
section .text

align 4
saved_esp: dd 0
pattern: db "segment limits: the last bytes."

%include "sys.inc"
%include "harness-end.inc"
