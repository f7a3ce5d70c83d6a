; Paging corner cases: CR2 of a #PF on a dword read split across a page boundary into a
; not-present page is the first byte inside the faulting page (SDM Vol. 3A §4.7). (A reserved bit
; in a 4 MiB PDE is checked by tests/cpu/paging-reserved.test.ts: QEMU 7.2 reports that #PF
; without its P bit, so it cannot be the reference.)
%include "harness.inc"

%define PG_P 1
%define PG_W 2
%define PG_U 4
%define PG_A 0x20
%define PG_D 0x40
%define PG_PS 0x80
%define TESTPG 0x300000       ; 4 KiB test pages at 0x300000..
%define BIG 0x800000          ; a 4 MiB page at linear 8 MiB -> physical 4 MiB
%define PTE(a) (pt0 + ((a) >> 12) * 4)

; DUMPPTE tag, address-of-entry: prints the entry
%macro DUMPENTRY 2
  DUMPMEM %1, %2, 1
%endmacro

test_main:
  call sys_init
  ; page table 0: identity map 0..4 MiB, user + writable, not yet accessed
  mov edi, pt0
  mov eax, PG_P | PG_W | PG_U
  mov ecx, 1024
.pte:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  loop .pte
  mov eax, pt0
  or eax, PG_P | PG_W | PG_U
  mov [page_dir], eax
  ; 4 MiB pages: identity at 4 MiB, linear 8 MiB -> physical 4 MiB
  mov dword [page_dir + 4], 0x400000 | PG_P | PG_W | PG_U | PG_PS
  mov dword [page_dir + 8], 0x400000 | PG_P | PG_W | PG_U | PG_PS
  ; test pages: +0 supervisor-only, +1 read-only, +2 not present, +3 normal
  and dword [PTE(TESTPG)], ~PG_U
  and dword [PTE(TESTPG + 0x1000)], ~PG_W
  and dword [PTE(TESTPG + 0x2000)], ~PG_P
  mov eax, cr4
  or eax, 0x10              ; PSE
  mov cr4, eax
  mov eax, page_dir
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  DUMPENTRY 1, page_dir
  ; split access, the second page not present
  SETRESUME .f1
  mov eax, [TESTPG + 0x1ffe]
.f1:
  mov eax, cr2
  DUMP 0x40, 0
  mov eax, cr0
  and eax, 0x7fffffff
  mov cr0, eax
  ret

align 4096
page_dir: times 1024 dd 0
pt0: times 1024 dd 0

%include "sys.inc"
%include "harness-end.inc"
