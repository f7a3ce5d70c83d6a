; 16-bit protected mode (a code segment with D=0, data segments with B=0): 16-bit default operand
; and address sizes with the 0x66/0x67 overrides, selector loads (data, null, and faulting ones
; reported through the IDT's 32-bit gates with their error codes), 16-bit stack (SP wraps within
; the segment's B=0 stack), far calls and returns between the 16-bit and 32-bit code segments,
; IRET from a 32-bit handler into 16-bit code, LAR/LSL/VERR/VERW, SMSW/STR/SLDT/SGDT/SIDT, string
; instructions with 16-bit and 32-bit addressing, and the 16-bit forms of MOVZX/MOVSX/BSF/BT/SHLD.
%include "harness.inc"
test_main:
  call sys_init
  mov eax, pm16_main
  call call_pm16
  DUMP 0xf0, 0
  ret

; a 32-bit routine the 16-bit code reaches with a far call (and returns with a 32-bit RETF)
pm32_far:
  mov eax, 0x32323232
  retf

section low16
bits 16
%define DATA 0x6000

pm16_main:
  xor eax, eax
  xor ebx, ebx
  xor ecx, ecx
  xor edx, edx
  xor esi, esi
  xor edi, edi
  xor ebp, ebp
  push word 0
  popf
  DUMP16 1, FL_ALL
  ; selector loads
  mov ax, SEL_DATA0
  mov fs, ax
  mov ebx, [fs:dword 0x100000]      ; the Multiboot magic through a flat 32-bit segment
  xor ax, ax
  mov gs, ax                        ; null selector into GS: allowed
  mov ax, ds
  mov cx, ss
  DUMP16 2, 0
  SETRESUME16 pm16_after_ss
  mov ax, SEL_CODE16
  mov ss, ax                        ; a code segment into SS: #GP(selector)
pm16_after_ss:
  SETRESUME16 pm16_after_ds
  mov ax, 0x7f8
  mov ds, ax                        ; beyond the GDT limit: #GP(selector)
pm16_after_ds:
  SETRESUME16 pm16_after_fs
  mov ax, SEL_TSS
  mov fs, ax                        ; a system segment into FS: #GP(selector)
pm16_after_fs:
  mov ax, SEL_DATA16
  mov ds, ax
  mov ss, ax
  mov fs, ax
  DUMP16 3, 0
  ; arithmetic with both operand sizes and addressing forms
  mov di, DATA
  mov cx, 16
  mov ax, 0x8001
.fill:
  stosw
  rol ax, 3
  loop .fill
  mov ebx, DATA
  mov si, 2
  mov ax, [bx + si]
  add ax, [bx + si + 4]
  mov edx, [bx + 8]
  adc edx, [dword ebx + esi * 4]
  movzx ecx, word [bx + 6]
  movsx ebp, byte [bx + 7]
  bsf si, ax
  bt dx, 3
  shld ax, dx, 5
  DUMP16 4, FL_CF | FL_ZF
  imul ax, [bx + 12], -3
  DUMP16 5, FL_CF | FL_OF
  ; 16-bit stack in a B=0 segment
  mov ax, sp
  push dword 0x11223344
  push word 0x5566
  pusha
  popa
  pop dx
  pop ebx
  mov cx, sp
  DUMP16 6, 0
  ; far calls: 16-bit to 16-bit, 16-bit to 32-bit (o32 far call), RETF imm
  call SEL_CODE16:pm16_far
  call dword SEL_CODE0:pm32_far
  DUMP16 7, 0
  ; an interrupt through a 32-bit gate and back to 16-bit code
  int 0x21
  int3
  DUMP16 8, 0
  ; descriptor inspection
  mov ax, SEL_CODE16
  lar bx, ax
  lsl cx, ax
  mov ax, SEL_DATA3
  lar edx, ax
  lsl esi, ax
  DUMP16 9, FL_ZF
  mov ax, 0x7f8
  lar bx, ax
  DUMP16 10, FL_ZF
  mov ax, SEL_CODE16
  verr ax
  DUMP16 11, FL_ZF
  verw ax
  DUMP16 12, FL_ZF
  mov ax, SEL_DATA16
  verw ax
  DUMP16 13, FL_ZF
  smsw ax
  and ax, 0x0f
  str bx
  sldt cx
  sgdt [DATA + 0x40]
  sidt [DATA + 0x48]
  mov dx, [DATA + 0x40]
  mov si, [DATA + 0x48]
  DUMP16 14, 0
  ; strings with 16-bit and 32-bit addressing
  mov si, DATA
  mov di, DATA + 0x20
  mov cx, 5
  cld
  rep movsw
  mov esi, DATA
  mov edi, DATA + 0x30
  mov ecx, 3
  a32 rep movsd
  std
  mov di, DATA + 0x3e
  mov ax, 0xabcd
  mov cx, 2
  rep stosw
  cld
  mov si, DATA
  mov di, DATA + 0x20
  mov cx, 8
  repe cmpsw
  DUMP16 15, FL_ALL
  DUMPMEM16 16, DATA + 0x20, 8
  ret

pm16_far:
  mov si, 0x1616
  retf

bits 32
section .text
%include "sys.inc"
%include "harness-end.inc"
