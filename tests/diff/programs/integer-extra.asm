; Integer forms the other programs leave out: CMPXCHG8B (equal and different, with LOCK), LOCK on
; read-modify-write forms and #UD for LOCK with a register destination (LOCK on a non-RMW
; instruction: qemu-divergent/lock-mov.asm, QEMU 7.2 does not raise #UD there),
; BT/BTS/BTR/BTC on memory with register bit offsets beyond the addressed dword (positive and
; negative), address-size overrides in 32-bit code (0x67: 16-bit addressing, string instructions
; with SI/DI/CX), operand-size overrides (16-bit PUSH/POP; 16-bit ENTER on a 32-bit stack is
; findings/enter-o16.asm), MOV/PUSH/POP of
; segment registers, MOVSX/MOVZX/XCHG/XADD/CMPXCHG on memory of every size, and REP OUTSB to the
; debug port in both directions (the bytes become an output line).
%include "harness.inc"
%define LOWBUF 0x6000          ; reachable with 16-bit addresses (DS base 0)
test_main:
  call sys_init
  ; CMPXCHG8B
  mov dword [q8], 0x11111111
  mov dword [q8 + 4], 0x22222222
  mov eax, 0x11111111
  mov edx, 0x22222222
  mov ebx, 0x33333333
  mov ecx, 0x44444444
  lock cmpxchg8b [q8]
  DUMP 1, FL_ZF
  DUMPMEM 2, q8, 2
  cmpxchg8b [q8]                ; now different: EDX:EAX <- memory
  DUMP 3, FL_ZF
  ; LOCK forms
  mov dword [scratch], 5
  mov eax, 7
  lock add [scratch], eax
  lock xadd [scratch], eax
  lock bts dword [scratch], 31
  lock xchg [scratch + 4], eax
  lock cmpxchg [scratch + 8], ecx
  lock inc word [scratch + 12]
  lock not byte [scratch + 14]
  lock neg dword [scratch + 16]
  lock sbb dword [scratch + 20], 3
  DUMP 4, FL_ARITH
  DUMPMEM 5, scratch, 6
  SETRESUME .ud1
  db 0xf0, 0x01, 0xc0           ; lock add eax, eax: #UD
.ud1:
  mov dword [resume], 0
  ; bit string addressing with register offsets
  mov edi, scratch + 64
  mov dword [edi - 8], 0
  mov dword [edi - 4], 0
  mov dword [edi], 0
  mov dword [edi + 4], 0
  mov dword [edi + 12], 0
  mov eax, 100
  bts [edi], eax                ; dword at +12, bit 4
  mov eax, -33
  bts [edi], eax                ; dword at -8, bit 31
  mov ax, 40
  btc word [edi], ax            ; word at +4, bit 8
  mov eax, 100
  bt dword [edi], eax
  DUMP 6, FL_CF
  mov eax, -33
  btr [edi], eax
  DUMP 7, FL_CF
  DUMPMEM 8, scratch + 56, 6
  ; address-size override in 32-bit code: 16-bit addressing into low memory
  mov dword [LOWBUF], 0x03020100
  mov dword [LOWBUF + 4], 0x07060504
  mov dword [LOWBUF + 8], 0x0b0a0908
  mov dword [LOWBUF + 12], 0x0f0e0d0c
  mov ebx, 0xffff0000 + LOWBUF  ; the upper halves must not take part
  mov esi, 0xabcd0004
  mov edi, 0x12340008
  a16 mov eax, [bx + si]
  a16 mov ecx, [bx + di + 2]
  a16 lea edx, [bx + si + 0x10]
  DUMP 9, 0
  mov esi, 0xffff0000 + LOWBUF
  mov edi, 0xffff0000 + LOWBUF + 0x20
  mov ecx, 0xffff0005
  a16 rep movsb
  DUMP 10, 0
  mov esi, 0x55550000 + LOWBUF
  mov edi, 0x55550000 + LOWBUF + 0x20
  mov ecx, 0x55550008
  a16 repe cmpsb
  DUMP 11, FL_ARITH
  mov edi, LOWBUF + 0x40
  mov eax, 0x99
  mov ecx, 0x10003
  a16 rep stosw
  mov ebx, LOWBUF
  mov al, 6
  a16 xlatb
  DUMP 12, 0
  DUMPMEM 13, LOWBUF + 0x20, 12
  ; operand-size override: 16-bit stack operations in 32-bit code
  mov ebp, 0x1234
  o16 push word 0x5678
  o16 push ax
  o16 pop dx
  o16 pop cx
  mov ebx, esp
  push ds
  push es
  pop fs
  pop gs
  mov ax, fs
  mov bx, gs
  mov cx, ss
  DUMP 14, 0
  ; memory forms of every size
  mov dword [scratch + 32], 0x80ff7f01
  movsx eax, byte [scratch + 33]
  movzx ebx, word [scratch + 34]
  movsx cx, byte [scratch + 35]
  mov dl, 0x55
  xchg dl, [scratch + 32]
  mov si, 0x0101
  xadd [scratch + 34], si
  mov al, [scratch + 32]
  mov bl, 0x66
  cmpxchg [scratch + 32], bl
  DUMP 15, FL_ARITH
  DUMPMEM 16, scratch + 32, 1
  ; OUTS: a line through the debug port with REP OUTSB, then backwards with DF=1
  mov esi, outs_msg
  mov ecx, outs_len
  mov dx, 0xe9
  rep outsb
  std
  mov esi, outs_msg + outs_len - 2
  mov ecx, outs_len - 1
  rep outsb
  cld
  mov al, 10
  out dx, al
  DUMP 17, 0
  ret

outs_msg: db "00000011 rep outsb", 10
outs_len equ $ - outs_msg

align 8
q8: dq 0

%include "sys.inc"
%include "harness-end.inc"
