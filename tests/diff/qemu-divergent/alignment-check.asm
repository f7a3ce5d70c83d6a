; Alignment check (SDM vol. 3A 6.15, interrupt 17): with CR0.AM=1, EFLAGS.AC=1 and CPL 3, a data
; access (stack included) whose address is not a multiple of its operand's alignment raises
; #AC(0): words 2, dwords 4, 16:32 far pointers 4, CMPXCHG8B's qword 8; bytes never. Not with AC
; clear, AM clear, or at CPL 0.
; QEMU 7.2's TCG does not model #AC (it prints "no fault" lines). The nested KVM host the suite's
; --kvm mode was tried on did not raise it either (its guest CR0.AM seems not to reach the
; hardware), so tests/cpu/cpu-checks.test.ts checks these facts against the SDM; with a KVM host
; that passes #AC through, this program is the reference:
;   npm run test:diff -- --seeds 0 --fp-seeds 0 --dir qemu-divergent --only alignment --kvm
; Ring 3 is entered with SYSEXIT and left with SYSENTER or a fault (no IRET, no far return: see
; seg-limits-faults.asm), and the handlers go on in ring 0.
%include "harness.inc"

; CASE label: the code at `label` runs in ring 3 (flat DS/ES, ESP = u_stack_top, AC as set in
; EFLAGS now) and ends with SYSENTER; a fault there prints its lines. Either way the next line
; follows.
%macro CASE 1
  mov dword [c_resume], %%next
  mov [c_esp], esp
  mov ecx, u_stack_top
  mov edx, %1
  sysexit
%%next:
%endmacro

test_main:
  call sys_init
  mov eax, 17
  mov edx, h_ac
  mov ecx, 0x8e00
  call set_gate
  mov eax, 13
  mov edx, h_gp
  call set_gate
  mov eax, 12
  mov edx, h_ss
  call set_gate
  mov ecx, 0x174                        ; SYSENTER_CS/ESP/EIP: back to `entered` in ring 0
  mov eax, SEL_CODE0
  xor edx, edx
  wrmsr
  mov ecx, 0x175
  mov eax, k_stack_top
  wrmsr
  mov ecx, 0x176
  mov eax, entered
  wrmsr
  mov eax, cr0
  or eax, 0x40000                       ; CR0.AM
  mov cr0, eax
  pushfd
  or dword [esp], 0x40000               ; EFLAGS.AC
  popfd

  CASE u_dword
  CASE u_word_store
  CASE u_aligned
  CASE u_push
  CASE u_call
  CASE u_movs
  CASE u_lods
  CASE u_far
  CASE u_far_ok
  CASE u_cmpxchg8b
  CASE u_alu
  CASE u_ac_off
  ; CPL 0: no alignment checks
  mov eax, [scratch + 1]
  push eax
  mov esp, [c_esp]
  DUMP 0x120, 0
  ; CR0.AM clear
  mov eax, cr0
  and eax, ~0x40000
  mov cr0, eax
  CASE u_dword
  pushfd
  and dword [esp], ~0x40000
  popfd
  ret

; ---- ring 3 ----
u_dword:
  mov eax, [scratch + 1]
  sysenter
u_word_store:
  mov word [scratch + 3], 0x1234
  sysenter
u_aligned:
  mov eax, [scratch + 4]
  mov ax, [scratch + 2]
  mov al, [scratch + 3]
  push eax
  pop eax
  sysenter
u_push:
  sub esp, 2
  push eax
  sysenter
u_call:
  sub esp, 1
  call .f
.f:
  sysenter
u_movs:
  mov esi, scratch + 2
  mov edi, scratch + 0x10
  movsd
  sysenter
u_lods:
  mov esi, scratch + 1
  lodsw
  sysenter
u_far:
  mov dword [scratch + 0x22], 0
  mov word [scratch + 0x26], SEL_DATA3
  lfs eax, [scratch + 0x22]             ; a 16:32 pointer at 2 mod 4
  sysenter
u_far_ok:
  mov dword [scratch + 0x24], 0
  mov word [scratch + 0x28], SEL_DATA3
  lfs eax, [scratch + 0x24]
  sysenter
u_cmpxchg8b:
  cmpxchg8b [scratch + 0x34]            ; 4 mod 8
  sysenter
u_alu:
  mov eax, 0x01010101
  cmp eax, eax
  add [scratch + 0x42], eax             ; flags unchanged by the fault
  sysenter
u_ac_off:
  pushfd
  and dword [esp], ~0x40000             ; AC may be changed at CPL 3
  popfd
  mov eax, [scratch + 1]
  sysenter

; ---- ring 0: SYSENTER arrives here; faults print vector, error code, EIP, CS ----
entered:
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov esp, [c_esp]
  DUMP 0x1ff, 0                         ; no fault
  jmp [c_resume]
h_ac:
  mov dword [ss:c_vec], 17
  jmp h_common
h_gp:
  mov dword [ss:c_vec], 13
  jmp h_common
h_ss:
  mov dword [ss:c_vec], 12
h_common:
  mov [ss:c_eax], eax
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov eax, [c_eax]
  DUMP 0x1fe, FL_ARITH                  ; the registers and flags at the fault
  mov eax, [c_vec]
  mov ebx, [esp]
  mov ecx, [esp + 4]
  sub ecx, IMAGE_BASE
  movzx edx, word [esp + 8]
  mov esi, [esp + 12]
  and esi, 0x50000                      ; RF, AC
  mov esp, [c_esp]
  DUMP 0x200, 0
  jmp [c_resume]

align 4
c_resume: dd 0
c_esp: dd 0
c_vec: dd 0
c_eax: dd 0
align 16
  times 256 db 0
u_stack_top:

%include "sys.inc"
%include "harness-end.inc"
