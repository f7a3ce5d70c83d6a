; Segment type checks on data accesses (SDM vol. 3A 5.4, 5.5 and each instruction's #GP list): in
; protected mode a write through a read-only data segment or through code (so through any CS
; override) is #GP(0), and so is a read through an execute-only code segment; reads through
; read-only data and readable code are fine. A read-modify-write instruction faults before it
; changes anything (flags included), a REP string instruction before its first element, POP m
; with ESP as it was. Loads refuse what may never be in a register: SS must be writable data,
; DS..GS data or readable code (#GP(selector)). The handler also prints the RF bit of the pushed
; EFLAGS image, which the SDM sets for every fault.
; QEMU 7.2's TCG checks no types on data accesses (it prints "no fault" lines) and never sets RF in
; a fault's EFLAGS image, so the reference is the host CPU:
;   npm run test:diff -- --seeds 0 --fp-seeds 0 --dir qemu-divergent --only seg-types --kvm
; As in seg-limits-faults.asm, the handlers end without IRET and nothing runs in ring 3 or uses the
; x87/SSE units (the nested KVM this was checked on hands IRET, far returns and x87 instructions
; to KVM's instruction emulator, which fails on them).
%include "harness.inc"

%define SEL_RO   (SEL_SPARE + 0x00)   ; data, read-only, flat
%define SEL_XO   (SEL_SPARE + 0x08)   ; code, execute-only, flat
%define SEL_RX   (SEL_SPARE + 0x10)   ; code, readable, flat
%define SEL_ROP  (SEL_SPARE + 0x18)   ; data, read-only, base 0x200000, limit 0xFFF

%define TARGET   0x200000             ; what the faulting stores aim at (the pattern must survive)

; TRY label: a fault in what follows prints its lines and goes on at label (ring 0, flat
; segments, this stack). Without a fault the code reaches NOFAULT, which prints a line and restores
; the same. GS stays flat for the handler.
%macro TRY 1
  mov dword [f_resume], %1
  mov [f_esp], esp
  push dword SEL_DATA0
  pop gs
  cmp esp, esp                          ; known flags: ZF=1 PF=1, the others 0
%endmacro
%macro NOFAULT 1
  mov [gs:f_eax], eax
  mov ax, SEL_DATA0
  mov ss, ax
  mov esp, [gs:f_esp]
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov eax, [f_eax]
  DUMP %1, FL_ALL                       ; (esp: TRY's)
  cld
%endmacro
; RO seg: DS/ES/FS = the read-only data segment
%macro RO 1
  mov ax, SEL_RO
  mov %1, ax
%endmacro

test_main:
  call sys_init
  mov dword [gdt + SEL_RO], 0x0000ffff
  mov dword [gdt + SEL_RO + 4], 0x00cf9100
  mov dword [gdt + SEL_XO], 0x0000ffff
  mov dword [gdt + SEL_XO + 4], 0x00cf9900
  mov dword [gdt + SEL_RX], 0x0000ffff
  mov dword [gdt + SEL_RX + 4], 0x00cf9b00
  mov dword [gdt + SEL_ROP], 0x00000fff
  mov dword [gdt + SEL_ROP + 4], 0x00409120
  mov eax, 13
  mov edx, f_gp
  mov ecx, 0x8e00
  call set_gate
  mov eax, 12
  mov edx, f_ss
  call set_gate
  mov eax, 8
  mov edx, f_df
  call set_gate
  cld
  mov edi, TARGET                       ; a known pattern where the stores aim
  mov ecx, 0x1000 / 4
  mov eax, 0xeeeeeeee
  rep stosd

  ; ---- stores through a read-only data segment: #GP(0), nothing written ----
  TRY .a1
  RO ds
  mov dword [TARGET], 0x11111111
  NOFAULT 0x101
.a1:
  TRY .a2
  RO es
  mov byte [es:TARGET + 1], 0x22
  NOFAULT 0x102
.a2:
  TRY .a3
  RO ds
  mov eax, TARGET
  mov [eax], ax                         ; 16-bit store through a register
  NOFAULT 0x103
.a3:
  TRY .a4
  RO ds
  mov [TARGET], eax                     ; moffs form
  NOFAULT 0x104
.a4:
  TRY .a5
  RO fs
  mov [fs:TARGET], cs                   ; MOV Ew, Sreg
  NOFAULT 0x105
.a5:
  TRY .a6
  RO es
  mov edi, TARGET
  mov ecx, 4
  mov eax, 0x66666666
  rep stosd                             ; the first element faults: ECX, EDI unchanged
  NOFAULT 0x106
.a6:
  TRY .a7
  RO es
  mov esi, pattern
  mov edi, TARGET + 8
  mov ecx, 3
  rep movsb
  NOFAULT 0x107
.a7:
  TRY .a8
  RO ds
  push dword 0x12345678
  pop dword [TARGET]                    ; ESP as before the POP
  NOFAULT 0x108
.a8:
  TRY .a9
  RO es
  sgdt [es:TARGET]
  NOFAULT 0x109
.a9:
  TRY .a10
  RO ds
  mov ecx, 1
  sete byte [TARGET]
  NOFAULT 0x10a
.a10:

  ; ---- read-modify-write: #GP(0) before the flags or registers change ----
  ; Each starts from TRY's known flags and known registers.
%macro RMW 2
  TRY %%next
  RO ds
  mov eax, 0x01010101
  mov ecx, 0x02020202
  mov edx, 0x0303
  mov ebx, 0
  %1
  NOFAULT %2
%%next:
%endmacro
  RMW {add dword [TARGET], 1}, 0x110
  RMW {sub byte [TARGET], cl}, 0x111
  RMW {or [TARGET], ecx}, 0x112
  RMW {inc dword [TARGET]}, 0x113
  RMW {dec word [TARGET]}, 0x114
  RMW {neg byte [TARGET]}, 0x115
  RMW {not dword [TARGET]}, 0x116
  RMW {shl dword [TARGET], 1}, 0x117
  RMW {rcr word [TARGET], cl}, 0x118
  RMW {shld [TARGET], ecx, 4}, 0x119
  RMW {xchg [TARGET], eax}, 0x11a
  RMW {xadd [TARGET], ecx}, 0x11b
  RMW {cmpxchg [TARGET], ecx}, 0x11c            ; not equal: the old value is written back
  RMW {cmpxchg8b [TARGET]}, 0x11d
  RMW {bts dword [TARGET], 3}, 0x11e
  RMW {btr dword [TARGET], ecx}, 0x11f
  RMW {adc dword [TARGET], 1}, 0x120
  RMW {lock add dword [TARGET], 1}, 0x121
  RMW {shr dword [TARGET], 0}, 0x122            ; a count of 0 changes nothing, but writes
  RMW {shld [TARGET], ecx, 0}, 0x123

  ; ---- reads through it are fine ----
  TRY .b1
  RO ds
  RO es
  mov esi, TARGET
  mov edi, TARGET + 4
  mov eax, [TARGET]
  add eax, [esi]
  cmpsd
  lodsd
  mov ebx, [TARGET + 8]
  bt dword [TARGET], 1                  ; BT only reads
  cmp dword [TARGET], 0
  NOFAULT 0x130
.b1:
  ; a read-only segment with a limit: the limit still applies to reads, writes fault anywhere
  TRY .b2
  mov ax, SEL_ROP
  mov ds, ax
  mov eax, [0xffc]
  mov eax, [0xffe]
  NOFAULT 0x131
.b2:
  TRY .b3
  mov ax, SEL_ROP
  mov ds, ax
  mov byte [0], 1
  NOFAULT 0x132
.b3:

  ; ---- CS: writes through a CS override always fault; reads need a readable segment ----
  TRY .c1
  mov dword [cs:TARGET], 0x77777777
  NOFAULT 0x140
.c1:
  TRY .c2
  mov eax, [cs:TARGET]                  ; readable code (SEL_CODE0)
  add eax, [cs:TARGET + 4]
  NOFAULT 0x141
.c2:
  TRY .c3
  mov eax, 0x01010101
  add byte [cs:TARGET], 1
  NOFAULT 0x142
.c3:
  TRY .c4
  jmp SEL_XO:.xo4                       ; execute-only code
.xo4:
  mov eax, [cs:TARGET]
  NOFAULT 0x143
.c4:
  TRY .c5
  jmp SEL_XO:.xo5
.xo5:
  mov eax, 0x12345678                   ; execute-only code runs; no data access through CS
  mov ebx, [TARGET]
  jmp SEL_CODE0:.c5a
.c5a:
  NOFAULT 0x144
.c5:
  TRY .c6
  jmp SEL_XO:.xo6
.xo6:
  mov esi, TARGET
  cs lodsb
  NOFAULT 0x145
.c6:
  TRY .c7
  jmp SEL_RX:.rx7
.rx7:
  mov eax, [cs:TARGET]
  mov esi, TARGET
  mov edi, scratch
  mov ecx, 2
  cs rep movsd                          ; reads through a readable CS
  jmp SEL_CODE0:.c7a
.c7a:
  NOFAULT 0x146
.c7:
  TRY .c8
  jmp SEL_RX:.rx8
.rx8:
  mov edi, TARGET
  mov ax, cs
  mov es, ax                            ; readable code in ES: loads fine ...
  mov eax, [es:TARGET]
  stosd                                 ; ... but may not be written
  NOFAULT 0x147
.c8:

  ; ---- loads: #GP(selector) ----
  TRY .d1
  mov ax, SEL_RO
  mov ss, ax                            ; SS must be writable
  NOFAULT 0x150
.d1:
  TRY .d2
  mov ax, SEL_RX
  mov ss, ax
  NOFAULT 0x151
.d2:
  TRY .d3
  mov ax, SEL_XO
  mov ds, ax                            ; execute-only code in DS
  NOFAULT 0x152
.d3:
  TRY .d4
  mov dword [scratch], 0
  mov word [scratch + 4], SEL_XO
  lfs eax, [scratch]
  NOFAULT 0x153
.d4:
  TRY .d5
  mov ax, SEL_RX
  mov fs, ax                            ; readable code in FS: fine
  mov eax, [fs:TARGET]
  NOFAULT 0x154
.d5:

  DUMPMEM 0x160, TARGET, 4              ; nothing written by the stores above
  DUMPMEM 0x161, TARGET + 0x10, 2
  ret

; ---- handlers: print the registers and the fault (with the pushed EFLAGS' RF bit), then resume
; (no IRET, no push on the faulting stack) ----
f_gp:
  mov dword [gs:f_vec], 13
  jmp f_common
f_ss:
  mov dword [gs:f_vec], 12
  jmp f_common
f_df:
  mov dword [gs:f_vec], 8
f_common:
  ; the faulting stack holds: error code, EIP, CS, EFLAGS
  mov [gs:f_eax], eax
  mov eax, [esp]
  mov [gs:f_err], eax
  mov eax, [esp + 4]
  mov [gs:f_eip], eax
  mov eax, [esp + 8]
  mov [gs:f_cs], eax
  mov eax, [esp + 12]
  mov [gs:f_fl], eax
  lea eax, [esp + 16]                   ; ESP when the fault happened
  mov [gs:f_fesp], eax
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov ss, ax
  mov esp, [f_esp]
  mov eax, [f_eax]
  DUMP 0x1ff, FL_ALL                    ; the registers when the fault happened (esp: TRY's)
  mov eax, [f_vec]
  mov ebx, [f_err]
  mov ecx, [f_eip]
  sub ecx, IMAGE_BASE
  movzx edx, word [f_cs]
  mov esi, [f_fesp]
  mov edi, [f_fl]
  and edi, 0x10000                      ; RF
  DUMP 0x200, 0
  cld
  jmp [f_resume]

align 4
f_resume: dd 0
f_esp: dd 0
f_vec: dd 0
f_eax: dd 0
f_err: dd 0
f_eip: dd 0
f_cs: dd 0
f_fl: dd 0
f_fesp: dd 0
pattern: db "abc"

%include "sys.inc"
%include "harness-end.inc"
