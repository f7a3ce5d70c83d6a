; Task switches beyond system.asm: JMP to a TSS (no back link, NT clear, the old TSS becomes
; available, the new one busy) and JMP back; the outgoing task's registers, segment selectors and
; EFLAGS saved in its TSS; a task whose TSS loads an LDT and a different set of segment registers;
; #TS for a TSS descriptor with a limit below 0x67; #GP for a JMP to a busy TSS; IRET with NT
; clear (an ordinary return, no task switch).
%include "harness.inc"

%define SEL_T2 (SEL_SPARE + 0x00)
%define SEL_SMALLTSS (SEL_SPARE + 0x08)
%define SEL_LDT2 (SEL_SPARE + 0x10)

%macro TSSDESC 3                        ; selector, base label, limit
  mov eax, %2
  mov [gdt + %1 + 2], ax
  shr eax, 16
  mov [gdt + %1 + 4], al
  mov [gdt + %1 + 7], ah
  mov word [gdt + %1], %3
  mov byte [gdt + %1 + 5], 0x89
%endmacro

test_main:
  call sys_init
  TSSDESC SEL_T2, tss_b, 103
  TSSDESC SEL_SMALLTSS, tss_c, 0x50
  ; task B: its own stack, an LDT, FS from the LDT
  mov dword [ldt2], 0x0000ffff
  mov dword [ldt2 + 4], 0x00cf9300
  mov eax, ldt2
  mov [gdt + SEL_LDT2 + 2], ax
  shr eax, 16
  mov [gdt + SEL_LDT2 + 4], al
  mov [gdt + SEL_LDT2 + 7], ah
  mov word [gdt + SEL_LDT2], 7
  mov byte [gdt + SEL_LDT2 + 5], 0x82
  mov dword [tss_b + 32], task_b
  mov dword [tss_b + 36], 0x00000046    ; EFLAGS: ZF, PF set
  mov dword [tss_b + 40], 0xaaaa0001    ; EAX
  mov dword [tss_b + 44], 0xaaaa0002    ; ECX
  mov dword [tss_b + 48], 0xaaaa0003    ; EDX
  mov dword [tss_b + 52], 0xaaaa0004    ; EBX
  mov dword [tss_b + 56], stack_b_top   ; ESP
  mov dword [tss_b + 60], 0xaaaa0005    ; EBP
  mov dword [tss_b + 64], 0xaaaa0006    ; ESI
  mov dword [tss_b + 68], 0xaaaa0007    ; EDI
  mov dword [tss_b + 72], SEL_DATA0     ; ES
  mov dword [tss_b + 76], SEL_CODE0     ; CS
  mov dword [tss_b + 80], SEL_DATA0     ; SS
  mov dword [tss_b + 84], SEL_DATA0     ; DS
  mov dword [tss_b + 88], 0x04          ; FS: LDT entry 0
  mov dword [tss_b + 92], 0             ; GS: null
  mov dword [tss_b + 96], SEL_LDT2      ; LDT
  mov word [tss_b + 102], 104
  mov eax, cr3
  mov [tss_b + 28], eax
  ; jump to task B, which jumps back
  mov eax, 0x11111111
  mov ebx, 0x22222222
  mov ecx, 0x33333333
  mov edx, 0x44444444
  mov esi, 0x55555555
  mov edi, 0x66666666
  stc
  jmp SEL_T2:0
back_from_b:
  mov eax, ds
  mov ebx, fs
  str ecx
  sldt edx
  movzx esi, byte [gdt + SEL_TSS + 5]
  movzx edi, byte [gdt + SEL_T2 + 5]
  pushfd
  pop ebp
  and ebp, 0x4000
  DUMP 2, FL_ARITH
  ; what task A's TSS holds now: EIP, EFLAGS, the general registers, the selectors
  mov eax, [tss + 32]
  sub eax, IMAGE_BASE
  mov [tss + 32], eax
  DUMPMEM 3, tss, 26
  mov eax, [tss_b + 32]
  sub eax, IMAGE_BASE
  mov [tss_b + 32], eax
  DUMPMEM 4, tss_b, 26
  ; #TS: a TSS descriptor with a limit below 0x67
  SETRESUME .ts
  jmp SEL_SMALLTSS:0
.ts:
  ; #GP: a JMP to the busy TSS of the current task
  SETRESUME .gp
  jmp SEL_TSS:0
.gp:
  mov dword [resume], 0
  ; IRET with NT clear: an ordinary same-privilege return
  pushfd
  push cs
  push dword .after_iret
  mov eax, 0x77
  iretd
.after_iret:
  DUMP 5, 0
  ret

task_b:
  mov eax, fs
  mov ebx, [fs:mb_header]
  str ecx
  sldt edx
  pushfd
  pop esi
  and esi, 0x4000 | FL_ARITH
  movzx edi, word [tss_b]               ; back link (JMP: not written)
  DUMP 1, FL_ARITH
  jmp SEL_TSS:0                         ; back to task A, which resumes after its JMP
  jmp task_b

align 8
ldt2: dq 0
align 16
tss_b: times 104 db 0
tss_c: times 104 db 0
align 16
stack_b: times 1024 db 0
stack_b_top:
%include "sys.inc"
%include "harness-end.inc"
