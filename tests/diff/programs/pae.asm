; PAE paging with EFER.NXE (paging.asm's facts through 64-bit entries): the PDPTEs loaded when
; CR0.PG is set with CR3 not page aligned, accessed and dirty bits in PDEs and PTEs (the high
; dwords untouched), 2 MiB pages through an alias, INVLPG after a PTE
; change and anywhere inside a remapped 2 MiB page, CR0.WP, U/S from ring 3, and #PF error codes
; with CR2: not present (read, write, fetch: I/D set), protection, execute-disable (fetch from an
; NX 4 KiB page, an NX 2 MiB page, falling through from an executable page into an NX one, from
; ring 3; data reads and writes of NX pages allowed).
; Checked by tests/cpu/paging-pae.test.ts instead (QEMU 7.2 does not do what the SDM says): #GP
; for reserved PDPTE bits at MOV CR3 and PDPTEs cached until the next load (QEMU reads the PDPT on
; every walk, and sets bit 5 of the PDPTE, which the SDM reserves and hardware never writes), and
; reserved bits in PDEs/PTEs (QEMU 7.2 reports that #PF without its P bit, and takes MAXPHYADDR 32
; without PSE-36 where the SDM says 36 with PAE).
%include "harness.inc"
%include "paging.inc"

%define NX_HI 0x80000000      ; bit 63 in the high dword

test_main:
  call sys_init
  PAE_PAGING_ON
  mov eax, cr3
  sub eax, pae_pdpt
  DUMP 1, 0                     ; CR3 kept bits 11:5 (eax = 0)
  ; accessed and dirty bits
  mov eax, [TESTPG + 0x3000]
  DUMPENTRY64 2, PTE64(TESTPG + 0x3000)
  DUMPENTRY64 3, PDE64(TESTPG)
  mov dword [TESTPG + 0x3004], 0x12345678
  DUMPENTRY64 4, PTE64(TESTPG + 0x3000)
  ; 2 MiB pages: write through the alias, read through the identity mapping
  mov dword [BIG + 0x1234], 0xcafef00d
  mov ebx, [0x400000 + 0x1234]
  DUMPENTRY64 5, PDE64(0x400000)
  DUMPENTRY64 6, PDE64(BIG)
  DUMP 7, 0
  ; INVLPG: remap TESTPG+0x3000 to the physical page of TESTPG+0x4000
  mov dword [TESTPG + 0x4000], 0x44444444
  mov eax, [PTE64(TESTPG + 0x4000)]
  and eax, 0xfffff000
  or eax, PG_P | PG_W | PG_U
  mov [PTE64(TESTPG + 0x3000)], eax
  invlpg [TESTPG + 0x3000]
  mov ecx, [TESTPG + 0x3000]
  DUMP 8, 0
  ; INVLPG of a 2 MiB page: BIG -> physical 6 MiB, invalidated through an address near its end
  mov dword [0x600000], 0x66666666
  mov dword [0x600000 + 0x1ff000], 0x77777777
  mov eax, [BIG]
  mov ebx, [BIG + 0x1ff000]
  mov dword [PDE64(BIG)], 0x600000 | PG_P | PG_W | PG_U | PG_PS
  invlpg [BIG + 0x1ff800]
  mov ecx, [BIG]
  mov edx, [BIG + 0x1ff000]
  DUMP 9, 0
  ; not present: read, write, fetch (I/D: PAE with NXE)
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
  ; execute disable: TESTPG+5 is NX; writing and reading it are fine, calling it faults
  or dword [PTE64(TESTPG + 0x5000) + 4], NX_HI
  invlpg [TESTPG + 0x5000]
  mov byte [TESTPG + 0x5000], 0xc3          ; RET
  mov eax, [TESTPG + 0x5000]
  DUMP 0x30, 0
  SETRESUME .nx1
  call TESTPG + 0x5000
.nx1:
  add esp, 4
  DUMPENTRY64 0x31, PTE64(TESTPG + 0x5000)
  ; the same code on an executable page runs
  mov byte [TESTPG + 0x3100], 0xc3
  call TESTPG + 0x3100
  ; falling through NOPs at the end of an executable page into the NX page
  mov edi, TESTPG + 0x4ff8
  mov ecx, 8
  mov al, 0x90
  rep stosb
  SETRESUME .nx2
  call TESTPG + 0x4ff8
.nx2:
  add esp, 4
  ; NX in a 2 MiB PDE (identity 6 MiB)
  or dword [PDE64(0x600000) + 4], NX_HI
  invlpg [0x600000]
  mov byte [0x600100], 0xc3
  mov eax, [0x600100]
  SETRESUME .nx3
  call 0x600100
.nx3:
  add esp, 4
  DUMP 0x32, 0
  WP_THEN_RING3 0x0a
back_in_ring0:
  LEAVE_RING3_PAGING_OFF
  DUMPENTRY64 0x20, PTE64(TESTPG)
  DUMPENTRY64 0x21, PTE64(TESTPG + 0x1000)
  DUMPENTRY64 0x22, PTE64(TESTPG + 0x5000)
  DUMPENTRY64 0x23, PDE64(0x600000)
  mov eax, cr4
  and eax, ~0x20
  mov cr4, eax
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
  SETRESUME .u6
  call TESTPG + 0x5000          ; NX from ring 3: #PF 0x15
.u6:
  SETRESUME .u7
  call TESTPG + 0x0100          ; supervisor page from ring 3: #PF 0x15
.u7:
  mov eax, [TESTPG + 0x5000]    ; reading the NX page from ring 3: fine
  DUMP 0x11, 0
  int 0x30                      ; back to ring 0

ring0_return:
  jmp back_in_ring0

saved_esp0: dd 0
align 16
user_stack: times 1024 db 0
user_stack_top:

PAE_TABLES

%include "sys.inc"
%include "harness-end.inc"
