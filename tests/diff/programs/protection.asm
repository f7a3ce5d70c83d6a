; Protection checks: ring 3 with IOPL 0 and a TSS I/O permission bitmap (ports 0xE9 and 0xF4 open),
; #GP for CLI/HLT/MOV CR0/OUT to a closed port/INT through a DPL 0 gate/loading DS with a DPL 0
; segment/SS with RPL != CPL, POPFD leaving IOPL and IF alone at CPL 3, ARPL, a far call into a
; conforming code segment (CPL stays 3), IRET to ring 3 nulling data segment registers with DPL <
; CPL, an LDT (LLDT, SLDT, a TI=1 selector), single-step traps (TF) with DR6.BS, and a double
; fault from a #GP whose IDT gate is not present.
%include "harness.inc"

%define SEL_TSS3 (SEL_SPARE + 0x00)     ; a TSS with an I/O bitmap
%define SEL_CONF (SEL_SPARE + 0x08)     ; conforming code, DPL 0
%define SEL_LDTD (SEL_SPARE + 0x10)     ; the LDT's descriptor
%define LDT_DATA 0x04 | 3               ; LDT entry 0, TI=1, RPL 3 (a DPL 3 data segment)

%macro RING3 1
  mov dword [ring0_cont], %%back
  mov [saved_esp0], esp
  push dword SEL_DATA3
  push dword user_stack_top
  push dword 0x0002                     ; IOPL 0
  push dword SEL_CODE3
  push dword %1
  iretd
%%back:
%endmacro

test_main:
  call sys_init
  mov eax, 0x30
  mov edx, ring0_return
  mov ecx, 0xee00
  call set_gate
  mov eax, 0x40
  mov edx, ring0_return
  mov ecx, 0x8e00                       ; DPL 0: INT 0x40 from ring 3 faults
  call set_gate
  ; the TSS with an I/O bitmap: everything closed but 0xE9 and 0xF4
  mov edi, iobitmap
  mov ecx, 8192 + 1
  mov al, 0xff
  rep stosb
  and byte [iobitmap + (0xe9 >> 3)], ~(1 << (0xe9 & 7))
  and byte [iobitmap + (0xf4 >> 3)], ~(1 << (0xf4 & 7))
  mov dword [tss3 + 4], k3_stack_top
  mov dword [tss3 + 8], SEL_DATA0
  mov word [tss3 + 102], iobitmap - tss3
  mov eax, tss3
  mov [gdt + SEL_TSS3 + 2], ax
  shr eax, 16
  mov [gdt + SEL_TSS3 + 4], al
  mov [gdt + SEL_TSS3 + 7], ah
  mov word [gdt + SEL_TSS3], iobitmap_end - tss3 - 1
  mov byte [gdt + SEL_TSS3 + 5], 0x89
  mov ax, SEL_TSS3
  ltr ax
  ; conforming code segment and the LDT
  mov dword [gdt + SEL_CONF], 0x0000ffff
  mov dword [gdt + SEL_CONF + 4], 0x00cf9f00
  mov dword [ldt], 0x0000ffff
  mov dword [ldt + 4], 0x00cff300
  mov eax, ldt
  mov [gdt + SEL_LDTD + 2], ax
  shr eax, 16
  mov [gdt + SEL_LDTD + 4], al
  mov [gdt + SEL_LDTD + 7], ah
  mov word [gdt + SEL_LDTD], 15
  mov byte [gdt + SEL_LDTD + 5], 0x82
  mov ax, SEL_LDTD
  lldt ax
  sldt bx
  mov cx, LDT_DATA
  mov fs, cx
  mov edx, [fs:mb_header]
  lar esi, ecx
  lsl edi, ecx
  DUMP 1, FL_ZF
  ; ring 3 with IOPL 0
  RING3 user_main
  ; IRET to ring 3 with DS/ES/FS/GS holding DPL 0 segments: they become null
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  RING3 user_segs
  ; single-step traps
  SETRESUME 0
  mov dword [resume], 0
  xor eax, eax
  mov dr6, eax
  pushfd
  or dword [esp], 0x100
  popfd
  inc eax                               ; #DB after each instruction from here
  inc eax
  pushfd
  and dword [esp], ~0x100
  popfd                                 ; (the trap after this POPFD still comes: TF was set)
  mov ebx, dr6
  and ebx, 0x4000                       ; BS
  DUMP 0x30, 0
  ; #GP with its gate not present: #NP while delivering it, then #DF
  and byte [idt + 13 * 8 + 5], 0x7f
  SETRESUME .df
  mov ax, 0x7f8
  mov ds, ax
.df:
  or byte [idt + 13 * 8 + 5], 0x80
  mov ax, SEL_DATA0
  mov ds, ax
  DUMP 0x31, 0
  ret

ring0_return:
  mov esp, [saved_esp0]
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  jmp [ring0_cont]

; ---- ring 3 ----
user_main:
  mov ax, SEL_DATA3
  mov ds, ax
  mov es, ax
  DUMP 0x10, FL_ALL | 0x3200
  SETRESUME .a
  cli
.a:
  SETRESUME .b
  hlt
.b:
  SETRESUME .c
  mov eax, cr0
.c:
  SETRESUME .d
  out 0x80, al
.d:
  SETRESUME .e
  int 0x40
.e:
  SETRESUME .f
  mov ax, SEL_DATA0
  mov ds, ax
.f:
  SETRESUME .g
  mov ax, SEL_DATA3 & ~3
  mov ss, ax
.g:
  ; POPFD at CPL 3, IOPL 0: IOPL and IF are left alone
  push dword 0x3202 | FL_CF
  popfd
  pushfd
  pop ebx
  and ebx, 0x3200 | FL_CF
  ; ARPL
  mov ax, 0x18
  mov cx, 0x1b
  arpl ax, cx
  DUMP 0x11, FL_ZF
  mov ax, 0x1b
  arpl ax, cx
  DUMP 0x12, FL_ZF
  ; a conforming code segment runs at CPL 3
  call (SEL_CONF | 3):conf_target
  DUMP 0x13, 0
  ; the LDT segment from ring 3
  mov ax, LDT_DATA
  mov gs, ax
  mov edx, [gs:mb_header]
  DUMP 0x14, 0
  int 0x30

conf_target:
  mov eax, cs
  mov ebx, ss
  retf

user_segs:
  mov eax, ds
  mov ebx, es
  mov ecx, fs
  mov edx, gs
  mov si, SEL_DATA3
  mov ds, si
  DUMP 0x20, 0
  int 0x30

saved_esp0: dd 0
ring0_cont: dd 0
align 8
ldt: dq 0, 0
align 16
user_stack: times 1024 db 0
user_stack_top:
k3_stack: times 1024 db 0
k3_stack_top:
align 16
tss3: times 104 db 0
iobitmap: times 8192 db 0
  db 0xff
iobitmap_end:

%include "sys.inc"
%include "harness-end.inc"
