; The CS limit (SDM vol. 3A 5.3 and each transfer's #GP list): an instruction that does not lie
; wholly inside the code segment's limit is #GP(0) at that instruction (running off the end, or
; straddling the limit), and a near transfer (JMP, Jcc, CALL, RET, LOOP, JECXZ; relative, register
; and memory targets) beyond the limit is #GP(0) at the transfer, before it changes anything (ESP,
; ECX). Hot loops run up to the limit first (compiled blocks must not run past it).
; QEMU 7.2's TCG checks the CS limit only on far transfers (programs/cs-limit.asm compares those):
; here it runs past the limit into a NOP slide that prints "no fault" (0x1ff) lines. The reference
; is the host CPU:
;   npm run test:diff -- --seeds 0 --fp-seeds 0 --dir qemu-divergent --only cs-limit --kvm
; The handler ends without IRET (see seg-limits-faults.asm). Far transfers beyond the limit could
; not be checked on that host (its nested KVM hangs on them); tests/cpu/cpu-checks.test.ts checks
; them, and RETF/IRET/far CALL (QEMU: no check, or #GP(selector)), against the SDM.
%include "harness.inc"

%define SEL_CLIM (SEL_SPARE + 0x00)   ; 32-bit code, base IMAGE_BASE, limit LIMIT (bytes)
%define SEL_CLIM2 (SEL_SPARE + 0x08)  ; the same with the limit inside the instruction at str_mov
%define LIMIT    (lim_end - IMAGE_BASE - 1)
%define LIMIT2   (str_mov - IMAGE_BASE + 2)
%define OFF(x)   ((x) - IMAGE_BASE)   ; offset of label x in SEL_CLIM

; GO label: continue at `label` in SEL_CLIM; the next #GP prints its line and resumes at the
; label after GO's (in SEL_CODE0).
%macro GO 1
  mov dword [g_resume], %%back
  mov [g_esp], esp
  jmp SEL_CLIM:OFF(%1)
%%back:
  mov esp, [g_esp]
%endmacro

test_main:
  call sys_init
  mov eax, LIMIT
  mov [gdt + SEL_CLIM], ax
  and eax, 0xf0000
  or eax, 0x00409b10                    ; base 0x100000 (bits 16..23 = 0x10)
  mov [gdt + SEL_CLIM + 4], eax
  mov eax, LIMIT2
  mov [gdt + SEL_CLIM2], ax
  and eax, 0xf0000
  or eax, 0x00409b10
  mov [gdt + SEL_CLIM2 + 4], eax
  mov eax, 13
  mov edx, g_gp
  mov ecx, 0x8e00
  call set_gate

  GO fall_through
  DUMP 0x101, 0
  mov dword [g_resume], .s1
  mov [g_esp], esp
  jmp SEL_CLIM2:OFF(straddle)
.s1:
  mov esp, [g_esp]
  DUMP 0x102, 0
  GO jmp_short
  DUMP 0x103, 0
  GO jmp_near
  DUMP 0x104, 0
  GO jcc_taken
  DUMP 0x105, 0
  GO call_rel
  DUMP 0x106, 0
  GO ret_near
  DUMP 0x107, 0
  GO ret_imm
  DUMP 0x108, 0
  GO jmp_reg
  DUMP 0x109, 0
  GO call_mem
  DUMP 0x10a, 0
  GO loop_out
  DUMP 0x10b, 0
  GO jcxz_out
  DUMP 0x10c, 0
  GO hot_loop
  DUMP 0x10d, 0
  GO hot_ret
  DUMP 0x10e, 0

  ret

; ---- #GP handler: prints vector, error code, EIP (offset), CS, the ESP of the fault, ECX; goes on
; at [g_resume] (no IRET) ----
g_gp:
  mov [g_ecx], ecx
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  inc dword [g_count]
  cmp dword [g_count], 100
  jb .ok
  mov al, 1
  out 0xf4, al
.ok:
  mov eax, 13
  mov ebx, [esp]                        ; error code
  mov ecx, [esp + 4]                    ; EIP
  movzx edx, word [esp + 8]             ; CS
  lea esi, [esp + 16]                   ; ESP when the fault happened
  mov edi, [g_ecx]                      ; ECX then
  DUMP 0x200, 0
  jmp [g_resume]
g_resume: dd 0
g_esp: dd 0
g_count: dd 0
g_ecx: dd 0

; ---- code run in SEL_CLIM (position-independent: only relative branches) ----
align 16
clim_code:
jmp_short:
  mov eax, 1
  jmp near near_tail_short
jmp_near:
  mov eax, 2
  jmp near beyond_near
jcc_taken:
  mov eax, 3
  cmp eax, 2
  jb near beyond_near                  ; not taken: no fault
  ja near beyond_near
call_rel:
  mov eax, 4
  call near beyond_near
ret_near:
  mov eax, 5
  push dword LIMIT + 1
  ret
ret_imm:
  mov eax, 6
  push dword LIMIT + 0x1000
  ret 8
jmp_reg:
  mov eax, 7
  mov ebx, LIMIT + 1
  jmp ebx
call_mem:
  mov eax, 8
  mov dword [scratch], LIMIT + 0x10
  call [scratch]
loop_out:
  mov ecx, 3
  jmp near near_tail_loop
jcxz_out:
  xor ecx, ecx
  jmp near near_tail_jcxz
hot_loop:
  ; runs 2000 times inside the limit, then falls off its end
  mov ecx, 2000
  xor eax, eax
.l:
  add eax, ecx
  dec ecx
  jnz .l
  jmp near near_tail_fall
hot_ret:
  ; a hot CALL/RET pair inside the limit, then a RET to beyond it
  mov ecx, 2000
.l:
  call .f
  dec ecx
  jnz .l
  push dword LIMIT + 1
  ret
.f:
  ret
fall_through:
  jmp near near_tail_fall
straddle:
  mov ecx, 0x77
  nop
str_mov:
  mov eax, 0x12345678                   ; 5 bytes, the limit of SEL_CLIM2 after its third
  nop

; the tail of the segment: each entry reaches the limit
times 0x100 - ($ - clim_code) % 0x100 nop
near_tail_short:
  jmp short beyond_short                ; the target is 1 byte past the limit
near_tail_loop:
  loop beyond_short                     ; ECX stays 3 when the target faults
near_tail_jcxz:
  jecxz beyond_short
  nop
near_tail_fall:
  ; falls off the end: the last byte at the limit is a NOP, the next fetch faults
  nop
lim_end:
beyond_short equ lim_end
beyond_near equ lim_end + 0x40
; Where execution goes when a check is missing: a NOP slide to a line that says so.
  times 0x1100 nop
  jmp SEL_CODE0:no_fault
no_fault:
  mov [g_ecx], ecx
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov esp, [g_esp]                      ; (a RET n without its fault left ESP above GO's)
  DUMP 0x1ff, 0
  jmp [g_resume]

%include "sys.inc"
%include "harness-end.inc"
