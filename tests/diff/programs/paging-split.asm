; Paging corner cases: CR2 of a #PF on a dword read split across a page boundary into a
; not-present page is the first byte inside the faulting page (SDM Vol. 3A §4.7). (A reserved bit
; in a 4 MiB PDE is checked by tests/cpu/paging-reserved.test.ts: QEMU 7.2 reports that #PF
; without its P bit, so it cannot be the reference.)
%include "harness.inc"

%include "paging.inc"

test_main:
  call sys_init
  PAGING_ON
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

PAGING_TABLES

%include "sys.inc"
%include "harness-end.inc"
