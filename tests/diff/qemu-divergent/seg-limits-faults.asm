; Segment limit faults on data accesses (SDM vol. 3A 5.3): operands that end past an expand-up
; limit or start below an expand-down one, the 16-bit expand-down upper bound, a null selector,
; SS-relative accesses and pops (#SS(0)), PUSHAD checking its whole frame, REP string instructions
; stopping with the registers of the last element inside the limit, and real mode, where a word at
; offset 0xFFFF faults instead of wrapping. QEMU 7.2's TCG checks no data segment limit, so it
; prints "no fault" lines where Hypertab faults. The reference is the host CPU:
;   npm run test:diff -- --seeds 0 --fp-seeds 0 --dir qemu-divergent --only seg-limits --kvm
; The handlers end without IRET and nothing runs in ring 3 or touches the x87/SSE units: the nested
; KVM this was checked on hands IRET, far returns and x87 instructions to KVM's instruction
; emulator, which fails on them or (FXSAVE) stores a shorter image without the limit check.
; Left to tests/cpu/segment-limits.test.ts (checked against the SDM): ENTER's check of the new ESP
; (#SS(0); the AMD host does not make it), x87/SSE multi-part stores and state images, ring 3.
%include "harness.inc"

%define SEL_DLIM   (SEL_SPARE + 0x00)   ; data, expand-up, base 0x200000, limit 0xFFF, B=1
%define SEL_DOWN16 (SEL_SPARE + 0x08)   ; data, expand-down, base 0x300000, limit 0xFFF, B=0
%define SEL_DOWN32 (SEL_SPARE + 0x10)   ; data, expand-down, base 0x400000, limit 0xFFFFEFFF (G=1), B=1
%define SEL_SDOWN  (SEL_SPARE + 0x18)   ; stack, expand-down, base 0, limit 0xFFF, B=1
%define SEL_SLIM   (SEL_SPARE + 0x20)   ; stack, expand-up, base 0, limit 0xFFF, B=1
; (The stacks have base 0: a nested KVM was seen to push exception frames at base 0 + ESP
; whatever SS's base, which would make the frames unreadable through SS.)

; TRY label: a fault in what follows prints its lines and goes on at label (ring 0, flat
; segments, this stack). Without a fault the code reaches NOFAULT, which prints a line and restores
; the same. GS stays flat: the handler saves what it needs through GS before it switches stacks, so
; that it never pushes onto an exhausted stack.
%macro TRY 1
  mov dword [f_resume], %1
  mov [f_esp], esp
  push dword SEL_DATA0
  pop gs
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
  DUMP %1, 0                            ; (esp: TRY's)
  cld
%endmacro

test_main:
  call sys_init
  mov dword [gdt + SEL_DLIM], 0x00000fff
  mov dword [gdt + SEL_DLIM + 4], 0x00409320
  mov dword [gdt + SEL_DOWN16], 0x00000fff
  mov dword [gdt + SEL_DOWN16 + 4], 0x00009730
  mov dword [gdt + SEL_DOWN32], 0x0000fffe
  mov dword [gdt + SEL_DOWN32 + 4], 0x00cf9740
  mov dword [gdt + SEL_SDOWN], 0x00000fff
  mov dword [gdt + SEL_SDOWN + 4], 0x00409700
  mov dword [gdt + SEL_SLIM], 0x00000fff
  mov dword [gdt + SEL_SLIM + 4], 0x00409300
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
  mov edi, 0x200000                     ; a known pattern in the limited segments
  mov ecx, 0x1000 / 4
  mov eax, 0xeeeeeeee
  rep stosd
  mov edi, 0x300ff0
  mov ecx, 0x20 / 4
  rep stosd
  mov edi, 0xfe0
  mov ecx, 0x60 / 4
  rep stosd
  xor eax, eax

  ; ---- expand-up data segment, limit 0xFFF ----
  TRY .a1
  mov ax, SEL_DLIM
  mov ds, ax
  mov ax, [0xfff]                       ; word: its second byte is past the limit
  NOFAULT 0x101
.a1:
  TRY .a2
  mov ax, SEL_DLIM
  mov ds, ax
  mov dword [0xffe], 0x55555555         ; nothing may be written
  NOFAULT 0x102
.a2:
  TRY .a3
  mov ax, SEL_DLIM
  mov ds, ax
  mov eax, [0x1000]                     ; moffs
  NOFAULT 0x103
.a3:
  TRY .a4
  mov ax, SEL_DLIM
  mov ds, ax
  lds eax, [0xffc]                      ; a 6-byte far pointer
  NOFAULT 0x104
.a4:
  TRY .a5
  mov ax, SEL_DLIM
  mov es, ax
  mov ebx, 0xff8
  mov ecx, 32
  bt [es:ebx], ecx                      ; the bit offset moves the dword to 0xffc: inside
  mov ecx, 64
  bt [es:ebx], ecx                      ; 0x1000: outside
  NOFAULT 0x105
.a5:
  TRY .a6
  mov ax, SEL_DLIM
  mov es, ax
  cmpxchg8b [es:0xff9]
  NOFAULT 0x106
.a6:
  DUMPMEM 0x107, 0x200ff0, 4

  ; ---- a null selector ----
  TRY .b1
  xor eax, eax
  mov fs, ax
  mov eax, [fs:0]
  NOFAULT 0x110
.b1:

  ; ---- expand-down, B=0: offsets 0x1000..0xFFFF ----
  TRY .c1
  mov ax, SEL_DOWN16
  mov es, ax
  mov al, [es:0x1000]
  mov al, [es:0xfff]
  NOFAULT 0x120
.c1:
  TRY .c2
  mov ax, SEL_DOWN16
  mov es, ax
  mov ax, [es:0xffff]                   ; past the 0xFFFF upper bound
  NOFAULT 0x121
.c2:
  TRY .c3
  mov ax, SEL_DOWN16
  mov es, ax
  mov al, [es:0x10000]
  NOFAULT 0x122
.c3:

  ; ---- expand-down, B=1, G=1: offsets 0xFFFFF000..0xFFFFFFFF ----
  TRY .d1
  mov ax, SEL_DOWN32
  mov es, ax
  mov eax, [es:0xfffff000]
  mov al, [es:0xffffefff]
  NOFAULT 0x130
.d1:
  TRY .d2
  mov ax, SEL_DOWN32
  mov es, ax
  mov eax, [es:0xfffffffe]              ; runs past offset 0xFFFFFFFF: implementation-specific
  NOFAULT 0x131
.d2:

  ; ---- SS: SS-relative operands and pops, expand-up stack with limit 0xFFF ----
  TRY .e1
  mov ax, SEL_SLIM
  mov ss, ax
  mov esp, 0xf00
  mov ebp, 0xff0
  mov eax, [ebp + 0xc]
  mov eax, [ebp + 0xd]                  ; SS by default: #SS(0)
  NOFAULT 0x140
.e1:
  TRY .e2
  mov ax, SEL_SLIM
  mov ss, ax
  mov esp, 0xf00
  mov ax, SEL_DLIM
  mov ds, ax
  mov eax, [ds:ebp + 0x10]              ; DS override: #GP(0)
  NOFAULT 0x141
.e2:
  TRY .e3
  mov ax, SEL_SLIM
  mov ss, ax
  mov esp, 0xf00
  mov ebx, 0xffe
  mov eax, [ss:ebx]                     ; SS override: #SS(0)
  NOFAULT 0x142
.e3:
  TRY .e4
  mov ax, SEL_SLIM
  mov ss, ax
  mov esp, 0xffa
  pop eax
  pop eax                               ; the dword at 0xffe
  NOFAULT 0x143
.e4:

  ; ---- expand-down stack (offsets 0x1000..): PUSHAD checks its whole frame ----
  mov edi, 0xfe0
  mov ecx, 0x60 / 4
  mov eax, 0xeeeeeeee
  rep stosd
  TRY .f1
  mov ax, SEL_SDOWN
  mov ss, ax
  mov esp, 0x1010
  pushad                                ; 32 bytes, 16 available: nothing pushed
  NOFAULT 0x150
.f1:
  DUMPMEM 0x151, 0xff0, 4              ; nothing pushed below 0x1000

  ; ---- REP strings crossing the limit ----
  TRY .g1
  mov esi, pattern
  mov ax, SEL_DLIM
  mov es, ax
  mov edi, 0xff0
  mov ecx, 0x20
  rep movsb
  NOFAULT 0x160
.g1:
  TRY .g2
  mov ax, SEL_DLIM
  mov es, ax
  mov edi, 0xff2
  mov ecx, 8
  mov eax, 0x99999999
  rep stosd
  NOFAULT 0x161
.g2:
  TRY .g3
  mov ax, SEL_DLIM
  mov ds, ax
  mov esi, 0xff0
  mov ax, SEL_DATA0
  mov es, ax
  mov edi, scratch
  mov ecx, 0x20
  rep movsw
  NOFAULT 0x162
.g3:
  TRY .g4
  mov ax, SEL_DOWN16
  mov es, ax
  mov edi, 0x1003
  mov ecx, 10
  mov al, 0x42
  std
  rep stosb
  NOFAULT 0x163
.g4:
  DUMPMEM 0x164, 0x200ff0, 4
  DUMPMEM 0x165, 0x300ffc, 2

  ; ---- real mode ----
  mov eax, real_part
  call call_real
  DUMPMEM 0x17f, 0xfffc, 2

  ret

; ---- handlers: print the registers and the fault, then resume (no IRET, no push on the
; faulting stack) ----
f_gp:
  mov dword [gs:f_vec], 13
  jmp f_common
f_ss:
  mov dword [gs:f_vec], 12
  jmp f_common
f_df:
  mov dword [gs:f_vec], 8
f_common:
  ; the faulting stack (any SS) holds: error code, EIP, CS, EFLAGS
  mov [gs:f_eax], eax
  mov eax, [esp]
  mov [gs:f_err], eax
  mov eax, [esp + 4]
  mov [gs:f_eip], eax
  mov eax, [esp + 8]
  mov [gs:f_cs], eax
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
  DUMP 0x200, 0
  cld
  jmp [f_resume]

section low16
bits 16
real_part:
  mov word [0x30], rm_ss                ; IVT: #SS and #GP
  mov word [0x32], 0
  mov word [0x34], rm_gp
  mov word [0x36], 0
  mov [cs:rm_sp], sp
  mov dword [0xfffc], 0x3f3f3f3f
  mov word [cs:rm_resume], .r1
  mov ax, [0xffff]                      ; no wrap to offset 0: #GP
  DUMP16 0x170, 0
.r1:
  mov word [cs:rm_resume], .r2
  mov word [0xffff], 0x4142             ; nothing written
  DUMP16 0x171, 0
.r2:
  mov word [cs:rm_resume], .r3
  mov bp, 0xffff
  mov ax, [bp]                          ; SS: #SS
  DUMP16 0x172, 0
.r3:
  mov word [cs:rm_resume], .r4
  mov sp, 0xffff
  pop ax                                ; #SS, the frame fits below
  DUMP16 0x173, 0
  mov sp, [cs:rm_sp]                    ; (without the fault)
.r4:
  mov word [cs:rm_resume], .r5
  mov eax, [dword 0x10000]              ; a 32-bit offset past 0xFFFF
  DUMP16 0x174, 0
.r5:
  mov word [cs:rm_resume], .r6
  mov si, 0xfffb
  mov di, 0x6000
  mov cx, 4
  rep movsw                             ; words at 0xfffb, 0xfffd; 0xffff faults
  DUMP16 0x175, 0
.r6:
  ret
rm_gp:
  push word 13
  jmp rm_common
rm_ss:
  push word 12
rm_common:
  DUMP16 0x1fe, FL_ALL
  mov bp, sp
  movzx eax, word [bp]                  ; vector
  movzx ecx, word [bp + 2]              ; IP
  movzx edx, word [bp + 4]              ; CS
  DUMP16 0x200, 0
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, [cs:rm_sp]
  cld
  jmp [cs:rm_resume]
rm_sp: dw 0
rm_resume: dw 0
bits 32
section .text

align 4
f_resume: dd 0
f_esp: dd 0
f_vec: dd 0
f_eax: dd 0
f_err: dd 0
f_eip: dd 0
f_cs: dd 0
f_fesp: dd 0
pattern: db "segment limit faults: 32 bytes."

%include "sys.inc"
%include "harness-end.inc"
