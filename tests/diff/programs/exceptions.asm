; Exceptions and interrupts through the program's own GDT and IDT: #DE (divide by zero and
; quotient overflow), #BP, #OF, #BR, #UD, #GP with error codes (bad selectors), #NP, a software
; INT, and #PF with CR2 and the error code after enabling paging with one page not present.
; The handler prints: vector, error code, faulting EIP (offset from the image start), CS, and the
; EFLAGS arithmetic bits, then resumes at the address the test put in [resume].
%include "harness.inc"

%define IMAGE_BASE 0x100000

test_main:
  lgdt [gdt_desc]
  jmp 0x08:.reload
.reload:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  ; IDT: 34 gates, each pointing at its stub (stubs are 16 bytes apart).
  mov ecx, 34
  mov edi, idt
  mov eax, stubs
.gate:
  mov edx, eax
  mov [edi], dx              ; offset 15..0
  mov word [edi + 2], 0x08   ; selector
  mov word [edi + 4], 0x8e00 ; present, DPL 0, 32-bit interrupt gate
  shr edx, 16
  mov [edi + 6], dx          ; offset 31..16
  add edi, 8
  add eax, 16
  loop .gate
  lidt [idt_desc]

  ; #DE: divide by zero
  mov dword [resume], .after_de
  mov eax, 1234
  xor edx, edx
  xor ecx, ecx
.f_de:
  div ecx
.after_de:
  ; #DE: signed quotient overflow
  mov dword [resume], .after_de2
  mov eax, 0x80000000
  cdq
  mov ecx, -1
  idiv ecx
.after_de2:
  ; #BP: trap, EIP after INT3
  mov dword [resume], .after_bp
  int3
.after_bp:
  ; #OF: INTO with OF set
  mov dword [resume], .after_of
  mov eax, 0x7fffffff
  add eax, 1
  into
.after_of:
  ; INTO with OF clear: no exception
  xor eax, eax
  into
  DUMP 0x100, FL_ARITH & ~FL_AF
  ; #BR: BOUND out of range
  mov dword [resume], .after_br
  mov dword [scratch], 10
  mov dword [scratch + 4], 20
  mov eax, 25
  bound eax, [scratch]
.after_br:
  ; #UD
  mov dword [resume], .after_ud
  ud2
.after_ud:
  ; #GP(selector): load DS with a selector beyond the GDT limit
  mov dword [resume], .after_gp
  mov ax, 0x1234
  mov ds, ax
.after_gp:
  mov ax, 0x10
  mov ds, ax
  ; #GP(0): load SS with the null selector
  mov dword [resume], .after_gp2
  xor ax, ax
  mov ss, ax
.after_gp2:
  mov ax, 0x10
  mov ss, ax
  ; #NP(selector): a not-present data segment
  mov dword [resume], .after_np
  mov ax, 0x18
  mov es, ax
.after_np:
  mov ax, 0x10
  mov es, ax
  ; software interrupt 0x21 (vector 33): no error code, EIP after the INT
  mov dword [resume], .after_int
  int 0x21
.after_int:
  ; #PF: identity-map the first 4 MiB with 4 KiB pages, make the page at 0x300000 not present
  mov edi, page_table
  mov eax, 0x003            ; present, writable
  mov ecx, 1024
.pte:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  loop .pte
  and dword [page_table + (0x300000 >> 12) * 4], ~1
  mov eax, page_table
  or eax, 3
  mov [page_dir], eax
  mov eax, page_dir
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  mov dword [resume], .after_pf_read
  mov eax, [0x300123]
.after_pf_read:
  mov eax, cr2
  DUMP 0x101, 0
  mov dword [resume], .after_pf_write
  mov byte [0x300ffe], 1
.after_pf_write:
  mov eax, cr2
  DUMP 0x102, 0
  ; read-only page: clear R/W on the page holding `scratch`, write with WP off (allowed in ring 0)
  ; and with WP on (#PF, error code present|write)
  mov ebx, scratch
  shr ebx, 12
  and dword [page_table + ebx * 4], ~2
  mov eax, cr3
  mov cr3, eax              ; flush the TLB
  mov dword [scratch + 8], 0x55
  DUMPMEM 0x103, scratch + 8, 1
  mov eax, cr0
  or eax, 0x10000           ; CR0.WP
  mov cr0, eax
  mov dword [resume], .after_wp
  mov dword [scratch + 8], 0x66
.after_wp:
  mov eax, cr2
  DUMPMEM 0x104, scratch + 8, 1
  DUMP 0x105, 0
  mov eax, cr0
  and eax, 0x7ffeffff       ; paging and WP off again
  mov cr0, eax
  ret

; ---- exception plumbing ----
align 16
stubs:
%assign v 0
%rep 34
  %if v == 8 || (v >= 10 && v <= 14) || v == 17
    push dword v            ; CPU pushed an error code
    jmp near handler
    align 16
  %else
    push dword 0            ; dummy error code
    push dword v
    jmp near handler
    align 16
  %endif
%assign v v + 1
%endrep

; Stack: vector, error code, EIP, CS, EFLAGS
handler:
  pushad
  mov ebp, esp
  mov eax, [ebp + 32]       ; vector
  mov ebx, [ebp + 36]       ; error code
  mov ecx, [ebp + 40]       ; EIP
  sub ecx, IMAGE_BASE
  movzx edx, word [ebp + 44] ; CS
  mov esi, [ebp + 48]
  and esi, FL_ARITH & ~FL_AF  ; AF is undefined after the logic ops some tests end with
  mov edi, 0
  DUMP 0x200, 0
  mov eax, [resume]
  mov [ebp + 40], eax       ; resume after the faulting instruction
  popad
  add esp, 8                ; vector and error code
  iretd

resume: dd 0

align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff     ; 0x08 code, flat
  dq 0x00cf92000000ffff     ; 0x10 data, flat
  dq 0x00cf12000000ffff     ; 0x18 data, not present
gdt_end:
gdt_desc:
  dw gdt_end - gdt - 1
  dd gdt

align 8
idt: times 34 * 8 db 0
idt_end:
idt_desc:
  dw idt_end - idt - 1
  dd idt

align 4096
page_dir: times 1024 dd 0
page_table: times 1024 dd 0
%include "harness-end.inc"
