; Paging: 4 KiB pages through a page table and 4 MiB pages (CR4.PSE), accessed and dirty bits in
; PDEs and PTEs, aliases, INVLPG after a PTE change, CR0.WP for supervisor writes to read-only
; pages, user/supervisor protection from ring 3, and #PF error codes with CR2 for: not present
; (read, write, instruction fetch) and protection (user read/write of a supervisor page, write to
; a read-only page from ring 3 and with WP), REP MOVSB/STOSD faulting part way (ECX/ESI/EDI show
; the iterations done). Reserved PDE bits and CR2 for an access split across
; a page boundary: findings/paging-findings.asm (Hypertab diverges, /work/tasks/diff-findings.md).
%include "harness.inc"

%include "paging.inc"

test_main:
  call sys_init
  PAGING_ON
  DUMPENTRY 1, page_dir
  ; accessed and dirty bits
  mov eax, [TESTPG + 0x3000]
  DUMPENTRY 2, PTE(TESTPG + 0x3000)
  DUMPENTRY 3, page_dir
  mov dword [TESTPG + 0x3004], 0x12345678
  DUMPENTRY 4, PTE(TESTPG + 0x3000)
  ; 4 MiB pages: write through the alias, read through the identity mapping
  mov dword [BIG + 0x1234], 0xcafef00d
  mov ebx, [0x400000 + 0x1234]
  DUMPENTRY 5, page_dir + 4
  DUMPENTRY 6, page_dir + 8
  DUMP 7, 0
  ; INVLPG: remap TESTPG+0x3000 to the physical page of TESTPG+0x4000
  mov dword [TESTPG + 0x4000], 0x44444444
  mov eax, [PTE(TESTPG + 0x4000)]
  and eax, 0xfffff000
  or eax, PG_P | PG_W | PG_U
  mov [PTE(TESTPG + 0x3000)], eax
  invlpg [TESTPG + 0x3000]
  mov ecx, [TESTPG + 0x3000]
  DUMP 8, 0
  ; not present: read, write, fetch, split access
  SETRESUME .np1
  mov eax, [TESTPG + 0x2010]
.np1:
  SETRESUME .np2
  mov dword [TESTPG + 0x2ff0], 1
.np2:
  SETRESUME .np3
  call TESTPG + 0x2000
.np3:
  add esp, 4                    ; the CALL pushed its return address before the fetch faulted
  ; REP string instructions faulting part way: ECX/ESI/EDI show the iterations done
  mov esi, TESTPG + 0x3000
  mov edi, TESTPG + 0x4ff0          ; (present, 0x304ff0..)
  mov ecx, 0x40
  cld
  SETRESUME .rep1
  rep movsb                         ; into TESTPG+0x5000: present (identity) -- completes
.rep1:
  DUMP 0x50, 0
  mov esi, TESTPG + 0x3000
  mov edi, TESTPG + 0x1ff0          ; read-only page... WP still 0 here: writes allowed
  mov ecx, 0x40                     ; crosses into TESTPG+0x2000 (not present) after 16 bytes
  SETRESUME .rep2
  rep movsb
.rep2:
  mov ebp, cr2
  DUMP 0x51, 0
  std
  mov edi, TESTPG + 0x300c          ; downwards into TESTPG+0x2ffc..: not present after 4 dwords
  mov ecx, 10
  mov eax, 0x5a5a5a5a
  SETRESUME .rep3
  rep stosd
.rep3:
  cld
  mov ebp, cr2
  DUMP 0x52, 0
  WP_THEN_RING3 9
back_in_ring0:
  LEAVE_RING3_PAGING_OFF
  DUMPENTRY 0x20, PTE(TESTPG)
  DUMPENTRY 0x21, PTE(TESTPG + 0x1000)
  ret

user_code:
  mov ax, SEL_DATA3
  mov ds, ax
  mov es, ax
  mov eax, [TESTPG + 0x3008]    ; user page: fine
  DUMP 0x10, 0
  SETRESUME .u1
  mov eax, [TESTPG + 0x10]      ; supervisor page: #PF 5
.u1:
  SETRESUME .u2
  mov dword [TESTPG + 0x10], 1  ; #PF 7
.u2:
  SETRESUME .u3
  mov dword [TESTPG + 0x1010], 1 ; read-only page from ring 3: #PF 7
.u3:
  SETRESUME .u4
  mov eax, [TESTPG + 0x2000]    ; not present from ring 3: #PF 4
.u4:
  SETRESUME .u5
  mov dword [TESTPG + 0x2000], 0 ; #PF 6
.u5:
  DUMP 0x11, 0
  int 0x30                      ; back to ring 0

ring0_return:
  jmp back_in_ring0

saved_esp0: dd 0
align 16
user_stack: times 1024 db 0
user_stack_top:

PAGING_TABLES

%include "sys.inc"
%include "harness-end.inc"
