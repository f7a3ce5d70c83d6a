; System instructions: CPUID leaves (the reference QEMU CPU is configured as Hypertab's model, see
; diff-runner.ts; fields the SDM leaves reserved or model-specific are masked, README.md),
; RDMSR/WRMSR of the SYSENTER MSRs, PAT, MTRRs, APIC base and MTRRcap (#GP for an unknown MSR:
; qemu-divergent/msr-unknown.asm, QEMU 7.2 ignores unknown MSRs),
; SYSENTER/SYSEXIT between ring 3 and ring 0, LAR/LSL/VERR/VERW on code, data, system and
; out-of-limit selectors with RPL/DPL checks, a task switch through a task gate (INT) and a CALL
; to a TSS with the back link, NT, busy bits and CR0.TS, a call gate from ring 3 with parameters
; copied to the inner stack, and virtual-8086 mode: entered by IRET, INT n with IOPL 3 through
; the IDT (VM=1 in the frame) and back by IRET, an IOPL-insensitive OUT faulting on the I/O map.
%include "harness.inc"

%define SEL_TSS2 (SEL_SPARE + 0x00)     ; a second 32-bit TSS
%define SEL_TGATE (SEL_SPARE + 0x08)    ; a task gate to it (DPL 0)
%define SEL_CGATE (SEL_SPARE + 0x10)    ; a call gate, DPL 3, 2 dword parameters
%define SEL_DATA_DPL1 (SEL_SPARE + 0x18) ; a data segment with DPL 1
%define SEL_CONF (SEL_SPARE + 0x20)     ; a conforming code segment, DPL 0, readable
%define SEL_XONLY (SEL_SPARE + 0x28)    ; an execute-only code segment
%define SEL_LDT (SEL_SPARE + 0x30)      ; an LDT descriptor
%define SEL_SMALL (SEL_SPARE + 0x38)    ; a byte-granular data segment, limit 0x1234

; RING3 label: run label in ring 3 (IOPL 3); it returns with INT 0x30
%macro RING3 1
  mov dword [ring0_cont], %%back
  mov [saved_esp0], esp
  push dword SEL_DATA3
  push dword user_stack_top
  push dword 0x3002
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
  ; ---- CPUID ----
  xor eax, eax
  cpuid
  DUMP 0x10, 0
  mov eax, 1
  cpuid
  and ebx, 0xff00ffff           ; EBX[23:16] is only defined with HTT (EDX bit 28), clear here
  DUMP 0x11, 0
  mov eax, 2
  cpuid
  mov [leaf2], eax
  mov [leaf2 + 4], ebx
  mov [leaf2 + 8], ecx
  mov [leaf2 + 12], edx
  mov eax, 3                    ; above the maximum basic leaf: the highest basic leaf's data
  cpuid
  xor eax, [leaf2]
  xor ebx, [leaf2 + 4]
  xor ecx, [leaf2 + 8]
  xor edx, [leaf2 + 12]
  DUMP 0x12, 0
  mov eax, 0x80000000
  cpuid
  xor ebx, ebx                  ; reserved
  xor ecx, ecx
  xor edx, edx
  DUMP 0x13, 0
  mov eax, 0x80000001
  cpuid
  xor eax, eax                  ; reserved on Intel
  DUMP 0x14, 0
  mov esi, 0x80000002
.brand:
  mov eax, esi
  cpuid
  DUMP esi, 0
  inc esi
  cmp esi, 0x80000005
  jb .brand
  ; ---- MSRs ----
  mov ecx, 0x174
  mov eax, SEL_CODE0
  xor edx, edx
  wrmsr
  mov ecx, 0x175
  mov eax, k_sysenter_top
  wrmsr
  mov ecx, 0x176
  mov eax, sysenter_target
  wrmsr
%macro RDM 2
  mov ecx, %1
  rdmsr
  DUMP %2, 0
%endmacro
  RDM 0x174, 0x20
  RDM 0x175, 0x21
  RDM 0x176, 0x22
  RDM 0x1b, 0x23
  RDM 0xfe, 0x24
  RDM 0x277, 0x25
  mov ecx, 0x277
  mov eax, 0x00070406
  mov edx, 0x00070106
  wrmsr
  RDM 0x277, 0x26
  mov ecx, 0x200
  mov eax, 0x00000006
  xor edx, edx
  wrmsr
  RDM 0x200, 0x27
  mov ecx, 0x2ff
  mov eax, 0x806
  wrmsr
  RDM 0x2ff, 0x28
  ; ---- SYSENTER / SYSEXIT ----
  RING3 user_sysenter
  DUMP 0x2a, 0
  ; ---- LAR / LSL / VERR / VERW ----
  mov dword [gdt + SEL_DATA_DPL1], 0x0000ffff
  mov dword [gdt + SEL_DATA_DPL1 + 4], 0x00cfb300
  mov dword [gdt + SEL_CONF], 0x0000ffff
  mov dword [gdt + SEL_CONF + 4], 0x00cf9f00
  mov dword [gdt + SEL_XONLY], 0x0000ffff
  mov dword [gdt + SEL_XONLY + 4], 0x00cf9900
  mov dword [gdt + SEL_LDT], 0x00000000 | 0x0f
  mov dword [gdt + SEL_LDT + 4], 0x00008200
  mov dword [gdt + SEL_SMALL], 0x56781234
  mov dword [gdt + SEL_SMALL + 4], 0x00009300
  mov esi, lar_list
.lar:
  movzx eax, word [esi]
  test eax, eax
  jz .lar_done
  xor ebx, ebx
  xor ecx, ecx
  lar ebx, eax
  setz dl
  lsl ecx, eax
  setz dh
  verr ax
  setz byte [tmp]
  verw ax
  setz byte [tmp + 1]
  movzx edi, word [tmp]
  DUMP 0x30, 0
  add esi, 2
  jmp .lar
.lar_done:
  ; from ring 3: DPL checks
  RING3 user_lar
  ; ---- task switches ----
  mov eax, tss2
  mov [gdt + SEL_TSS2 + 2], ax
  shr eax, 16
  mov [gdt + SEL_TSS2 + 4], al
  mov [gdt + SEL_TSS2 + 7], ah
  mov word [gdt + SEL_TSS2], 103
  mov byte [gdt + SEL_TSS2 + 5], 0x89
  mov word [gdt + SEL_TGATE + 2], SEL_TSS2
  mov byte [gdt + SEL_TGATE + 5], 0x85
  mov dword [tss2 + 32], task2       ; EIP
  mov dword [tss2 + 36], 2           ; EFLAGS
  mov dword [tss2 + 56], task2_stack_top ; ESP
  mov dword [tss2 + 76], SEL_CODE0   ; CS
  mov dword [tss2 + 72], SEL_DATA0   ; ES
  mov dword [tss2 + 80], SEL_DATA0   ; SS
  mov dword [tss2 + 84], SEL_DATA0   ; DS
  mov dword [tss2 + 88], SEL_DATA0   ; FS
  mov dword [tss2 + 92], SEL_DATA0   ; GS
  mov word [tss2 + 102], 104
  mov eax, cr3
  mov [tss2 + 28], eax
  mov eax, 0x31
  mov edx, SEL_TSS2
  mov ecx, 0x8500
  call set_gate
  mov eax, 0x11111111
  mov ebx, 0x22222222
  call SEL_TSS2:0                    ; CALL to the TSS: nested, back link = SEL_TSS
  DUMP 0x40, FL_ARITH
  call dump_task_state
  clts
  int 0x31                           ; through the task gate in the IDT
  DUMP 0x41, FL_ARITH
  call dump_task_state
  clts
  call SEL_TGATE:0                   ; through the task gate in the GDT
  DUMP 0x42, FL_ARITH
  call dump_task_state
  clts
  DUMPMEM 0x43, tss2 + 32, 12        ; the outgoing state task 2 saved on its IRET
  DUMPMEM 0x44, tss + 32, 12
  ; ---- call gate from ring 3 ----
  mov eax, cgate_target
  mov [gdt + SEL_CGATE], ax
  shr eax, 16
  mov [gdt + SEL_CGATE + 6], ax
  mov word [gdt + SEL_CGATE + 2], SEL_CODE0
  mov byte [gdt + SEL_CGATE + 4], 2  ; two dword parameters
  mov byte [gdt + SEL_CGATE + 5], 0xec
  RING3 user_callgate
  ; ---- virtual-8086 mode ----
  mov eax, 0x33
  mov edx, v86_exit
  mov ecx, 0xee00
  call set_gate
  mov [saved_esp0], esp
  mov dword [resume], v86_after_out  ; the OUT below faults first
  push dword 0                       ; GS
  push dword 0                       ; FS
  push dword 0x0600                  ; DS
  push dword 0                       ; ES
  push dword 0                       ; SS
  push dword 0x7000                  ; ESP
  push dword 0x23002                 ; EFLAGS: VM, IOPL 3
  push dword 0                       ; CS
  push dword v86_code                ; EIP
  iretd
v86_back:
  DUMPMEM 0x60, 0x6000, 8
  ret

; ring 0 routine: the TR, the busy bits of both TSS descriptors, EFLAGS.NT, CR0.TS, back link
dump_task_state:
  str eax
  movzx ebx, byte [gdt + SEL_TSS + 5]
  movzx ecx, byte [gdt + SEL_TSS2 + 5]
  pushfd
  pop edx
  and edx, 0x4000
  mov esi, cr0
  and esi, 8
  movzx edi, word [tss2]
  DUMP 0x45, 0
  ret

task2:
  mov eax, 0x77777777
  str ecx
  pushfd
  pop edx
  and edx, 0x4000
  mov esi, cr0
  and esi, 8
  movzx edi, word [tss2]             ; back link
  DUMP 0x46, 0
  iretd
  jmp task2

cgate_target:
  ; ring 0 stack: EIP, CS, param 1, param 2, ESP, SS
  mov eax, [esp]
  sub eax, IMAGE_BASE
  mov ebx, [esp + 4]
  mov ecx, [esp + 8]
  mov edx, [esp + 12]
  mov esi, [esp + 16]
  mov edi, [esp + 20]
  mov ebp, cs
  DUMP 0x50, 0
  retf 8

sysenter_target:
  mov eax, cs
  mov ebx, ss
  mov esi, esp
  DUMP 0x29, 0
  mov ecx, user_stack_top - 64
  mov edx, user_after_sysexit
  sysexit

ring0_return:
  mov esp, [saved_esp0]
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  jmp [ring0_cont]

v86_exit:
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov esp, [saved_esp0]
  jmp v86_back

; ---- ring 3 code ----
user_sysenter:
  mov ax, SEL_DATA3
  mov ds, ax
  mov es, ax
  mov ecx, esp
  sysenter
user_after_sysexit:
  mov eax, cs
  mov ebx, ss
  mov esi, esp
  DUMP 0x2b, 0
  int 0x30

user_lar:
  mov ax, SEL_DATA3
  mov ds, ax
  mov esi, lar_list
.l:
  movzx eax, word [esi]
  test eax, eax
  jz .done
  or eax, 3
  xor ebx, ebx
  xor ecx, ecx
  lar ebx, eax
  setz dl
  lsl ecx, eax
  setz dh
  verr ax
  setz byte [tmp]
  verw ax
  setz byte [tmp + 1]
  movzx edi, word [tmp]
  DUMP 0x31, 0
  add esi, 2
  jmp .l
.done:
  int 0x30

user_callgate:
  mov ax, SEL_DATA3
  mov ds, ax
  push dword 0xaaaa0001
  push dword 0xbbbb0002
  call (SEL_CGATE | 3):0
  mov eax, esp
  sub eax, user_stack_top
  mov ebx, cs
  DUMP 0x51, 0
  int 0x30

section low16
bits 16
v86_code:
  mov ax, 0x1234
  add ax, 0x4321
  mov [0], ax                       ; DS = 0x600: linear 0x6000
  pushf
  pop bx
  and bx, 0x0fd5
  mov [2], bx
  mov [4], sp
  mov [6], cs
  out 0xe9, al                       ; I/O map beyond the TSS limit: #GP(0), resumes below
v86_after_out:
  mov word [14], 0x6666
  int 0x32                           ; IOPL 3: through the IDT to ring 0 and back
  mov [8], ax
  mov word [10], 0x5555
  mov ax, ds
  mov [12], ax
  int 0x33                           ; leave v86
bits 32
section .text

saved_esp0: dd 0
ring0_cont: dd 0
leaf2: times 4 dd 0
tmp: dd 0
lar_list: dw SEL_CODE0, SEL_DATA0, SEL_CODE3 & ~3, SEL_DATA3 & ~3, SEL_CODE16, SEL_TSS, SEL_DATA_DPL1
  dw SEL_CONF, SEL_XONLY, SEL_LDT, SEL_SMALL, SEL_CGATE, 0x7f8, 0
align 16
tss2: times 104 db 0
align 16
task2_stack: times 512 db 0
task2_stack_top:
k_sysenter: times 512 db 0
k_sysenter_top:
user_stack: times 1024 db 0
user_stack_top:

%include "sys.inc"
%include "harness-end.inc"
