; Real mode (entered from protected mode by clearing CR0.PE, and back): segment:offset addressing
; with several segment bases, 16-bit ALU/shift/multiply/divide with flags, the 16-bit addressing
; forms ([bx+si], [bp+di+disp], ...), 32-bit operand and address size prefixes, PUSH/POP/PUSHF/
; POPF/PUSHA/POPA, near and far CALL/RET/JMP, INT/IRET and exceptions (#DE, #BR, #UD, INT3, INTO)
; through the interrupt vector table, LDS/LES/LFS/LGS/LSS, XLAT, string instructions with REP and
; an address-size override, ENTER/LEAVE, LOOP/JCXZ/JECXZ, BOUND.
%include "harness.inc"
test_main:
  call sys_init
  mov eax, real_main
  call call_real
  DUMP 0xf0, 0
  ret

section low16
bits 16
%define DATA 0x6000           ; scratch for real-mode tests (below LOW_STACK)

; IVT handlers: print the vector, the return CS:IP and FLAGS from the stack, skip the faulting
; instruction for faults when [rm_skip] says how many bytes
%macro RMVEC 1
rm_vec%1:
  push dword %1
  jmp rm_common
%endmacro
RMVEC 0
RMVEC 3
RMVEC 4
RMVEC 5
RMVEC 6
RMVEC 0x21
rm_common:
  push bp
  mov bp, sp
  ; [bp+2]=vector (dword), [bp+6]=IP, [bp+8]=CS, [bp+10]=FLAGS
  pushad
  mov eax, [bp + 2]
  movzx ebx, word [bp + 6]
  movzx ecx, word [bp + 8]
  movzx edx, word [bp + 10]
  and edx, 0x0cd5
  DUMP16 0x200, 0
  movzx ax, byte [cs:rm_skip]
  add [bp + 6], ax
  mov byte [cs:rm_skip], 0
  popad
  pop bp
  add sp, 4
  iret
rm_skip: db 0

%macro SETVEC 1
  mov word [es:%1 * 4], rm_vec%1
  mov word [es:%1 * 4 + 2], 0
%endmacro

real_main:
  xor ax, ax
  mov es, ax
  SETVEC 0
  SETVEC 3
  SETVEC 4
  SETVEC 5
  SETVEC 6
  SETVEC 0x21
  ; data: 64 bytes of a pattern at DATA
  mov di, DATA
  mov cx, 32
  mov ax, 0x1100
.fill:
  stosw
  add ax, 0x0203
  loop .fill
  xor eax, eax
  xor ebx, ebx
  xor ecx, ecx
  xor edx, edx
  xor esi, esi
  xor edi, edi
  xor ebp, ebp
  DUMP16 1, FL_ALL
  ; segment arithmetic: the same byte through different segment:offset pairs
  mov ax, DATA >> 4
  mov ds, ax
  mov al, [0x11]
  mov bx, (DATA >> 4) + 1
  mov fs, bx
  mov ah, [fs:0x01]
  mov cx, 0x0500
  mov gs, cx
  mov dx, [gs:DATA - 0x5000 + 0x10]
  xor si, si
  mov ds, si
  DUMP16 2, FL_ALL
  ; 16-bit addressing forms
  mov bx, DATA
  mov si, 4
  mov di, 6
  mov bp, DATA + 8
  mov ax, [bx + si]
  mov cx, [bx + di + 2]
  mov dx, [bp + si]           ; SS-relative (SS = 0)
  add ax, [bp + di - 4]
  sub cx, [si + DATA]
  xor dx, [di + DATA + 1]
  adc ax, [bx]
  DUMP16 3, FL_ALL
  ; 16-bit arithmetic and flags
  mov ax, 0x7fff
  add ax, 1
  DUMP16 4, FL_ARITH
  mov ax, 0x8000
  sub ax, 1
  DUMP16 5, FL_ARITH
  mov bx, 0xffff
  inc bx
  DUMP16 6, FL_ARITH
  neg bx
  DUMP16 7, FL_ARITH
  mov ax, 0x1234
  mov cx, 0x0100
  mul cx
  DUMP16 8, FL_CF | FL_OF
  mov ax, -300
  mov cx, 7
  imul cx
  DUMP16 9, FL_CF | FL_OF
  mov dx, 1
  mov ax, 0x2345
  mov cx, 0x1000
  div cx
  DUMP16 10, 0
  mov ax, -1000
  cwd
  mov cx, 33
  idiv cx
  DUMP16 11, 0
  mov ax, 0x8421
  shl ax, 3
  DUMP16 12, FL_CF | FL_ZF | FL_SF | FL_PF
  sar ax, 1
  DUMP16 13, FL_ARITH & ~FL_AF
  mov cl, 5
  rcr ax, cl
  DUMP16 14, FL_CF
  rol ax, 1
  DUMP16 15, FL_CF | FL_OF
  ; 32-bit operand and address size in real mode
  mov eax, 0x12345678
  mov ebx, 0x9abcdef0
  add eax, ebx
  DUMP16 16, FL_ARITH
  mov esi, DATA
  mov ecx, 2
  mov edx, [esi + ecx * 4 + 4]
  lea edi, [esi + ecx * 8 + 0x100]
  DUMP16 17, FL_ALL
  ; stack
  mov ax, 0x1111
  push ax
  push dword 0x22223333
  pushf
  pusha
  popa
  popf
  pop ebx
  pop cx
  push word 0x0cd5
  popf
  pushf
  pop dx
  push word 0
  popf
  DUMP16 18, FL_ALL
  ; near/far call, far jump, RETF with an immediate
  call near rm_sub
  call 0x0000:rm_far
  push word 7
  call 0x0000:rm_far_imm
  jmp 0x0800:(.far_target - 0x8000)
.far_target:
  jmp 0x0000:.back_seg0
.back_seg0:
  DUMP16 19, FL_ALL
  ; INT through the IVT, exceptions
  int 0x21
  int3
  mov al, 0x7f
  add al, 1
  into
  mov byte [cs:rm_skip], 2
  xor cx, cx
  mov ax, 5
  div cl                      ; #DE: faults at the DIV (2 bytes)
  mov byte [cs:rm_skip], 4
  mov word [DATA], 10
  mov word [DATA + 2], 20
  mov ax, 25
  bound ax, [DATA]            ; #BR (4 bytes)
  mov byte [cs:rm_skip], 2
  ud2                         ; #UD (2 bytes)
  DUMP16 20, 0
  ; LDS/LES/LFS/LGS/LSS
  mov word [DATA + 0x20], 0x1234
  mov word [DATA + 0x22], 0x0567
  lds si, [DATA + 0x20]
  mov ax, ds
  xor bx, bx
  mov ds, bx
  les di, [DATA + 0x20]
  mov bx, es
  lfs cx, [DATA + 0x20]
  mov dx, fs
  lgs bp, [DATA + 0x20]
  mov bp, gs
  xor cx, cx
  mov es, cx
  mov fs, cx
  mov gs, cx
  DUMP16 21, 0
  ; XLAT, strings with REP and an address-size override
  mov bx, DATA
  mov al, 5
  xlatb
  mov si, DATA
  mov di, DATA + 0x40
  mov cx, 7
  cld
  rep movsw
  mov esi, DATA + 1
  mov edi, DATA + 0x60
  mov ecx, 5
  a32 rep movsb
  mov di, DATA + 0x40
  mov al, 0x17
  mov cx, 20
  repne scasb
  DUMP16 22, FL_ALL
  DUMPMEM16 23, DATA + 0x40, 12
  ; ENTER/LEAVE, LOOP/JCXZ/JECXZ
  mov bp, 0x1234
  enter 6, 0
  mov ax, sp
  mov bx, bp
  leave
  mov cx, 3
  xor dx, dx
.lp:
  inc dx
  loop .lp
  jcxz .cx0
  mov dx, 0xdead
.cx0:
  mov ecx, 0x10000
  jecxz .no
  dec cx
  jcxz .no
  jmp .yes
.no:
  mov dx, 0xbeef
.yes:
  DUMP16 24, FL_ALL
  ret

rm_sub:
  mov si, 0x5151
  ret
rm_far:
  mov di, 0x6161
  retf
rm_far_imm:
  mov bp, sp
  mov ax, [bp + 4]
  retf 2

bits 32
section .text

%include "sys.inc"
%include "harness-end.inc"
