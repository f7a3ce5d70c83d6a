; I/O breakpoints and EFLAGS.RF (SDM vol. 3A 17.2.4, 17.3.1): with CR4.DE, DR7 R/W = 10b makes a
; breakpoint on I/O ports (LEN 1, 2 or 4 bytes from the DRn port, aligned): IN, OUT, INS and OUTS
; touching one of its ports raise a #DB trap after the instruction with DR6.Bn set (several at
; once when several match); a breakpoint not enabled in DR7, or another port, does nothing. An
; instruction breakpoint (#DB fault) returned from with RF=1 in the IRET image does not fire again
; on that instruction, with RF=0 it does; RF covers one instruction only; POPF does not load RF;
; the #DB of an instruction breakpoint pushes RF=0. The handler prints vector, EIP, DR6, ECX and
; the pushed RF. (Port values read are not printed: they depend on the machines' devices. The I/O
; traps return with RF=0: QEMU 7.2 keeps RF set for more than the one instruction after an IRET,
; so the RF a trap pushes after such an IRET differs from the SDM's 0.)
%include "harness.inc"

test_main:
  call sys_init
  mov eax, 1
  mov edx, h_db
  mov ecx, 0x8e00
  call set_gate
  mov eax, cr4
  or eax, 8                             ; CR4.DE
  mov cr4, eax
  xor eax, eax
  mov dr6, eax
  mov dword [db_refire], -1             ; traps: return with RF as pushed

  ; ---- I/O breakpoints ----
  mov eax, 0x80
  mov dr0, eax                          ; DR0: port 0x80, 1 byte
  mov eax, 0x70
  mov dr1, eax                          ; DR1: ports 0x70-0x71
  mov eax, 0x3f8
  mov dr2, eax                          ; DR2: ports 0x3f8-0x3fb
  mov eax, 0x80
  mov dr3, eax                          ; DR3: port 0x80, 1 byte, not enabled at first
  ; L0 L1 L2; RW0=RW1=RW2=RW3=10b; LEN0=00 LEN1=01 LEN2=11 LEN3=00
  mov eax, 0x15 | (2 << 16) | (2 << 20) | (1 << 22) | (2 << 24) | (3 << 26) | (2 << 28)
  mov dr7, eax
  mov al, 0x11
  out 0x80, al                          ; DR0: #DB after the OUT
  DUMP 0x101, 0
  in al, 0x80                           ; reads too
  xor eax, eax
  DUMP 0x102, 0
  out 0x81, al                          ; no breakpoint
  mov dx, 0x71
  out dx, al                            ; DR1's second port
  mov dx, 0x6f
  in ax, dx                             ; a word at 0x6f..0x70 overlaps DR1
  mov dx, 0x72
  in al, dx                             ; no breakpoint
  mov dx, 0x3fb
  in al, dx                             ; DR2's last port
  mov dx, 0x3fc
  in eax, dx                            ; no breakpoint
  mov dx, 0x3f6
  in eax, dx                            ; 0x3f6..0x3f9 overlaps DR2
  xor eax, eax
  DUMP 0x103, 0
  ; DR3 enabled as well: both report
  mov eax, dr7
  or eax, 0x40                          ; L3
  mov dr7, eax
  out 0x80, al
  xor eax, eax
  DUMP 0x104, 0
  ; INS/OUTS
  mov dx, 0x80
  mov esi, scratch
  outsb
  mov edi, scratch + 0x10
  mov dx, 0x3f8
  insw
  xor eax, eax
  DUMP 0x105, 0
  ; not enabled (L/G clear) though R/W = 10b
  mov eax, (2 << 16) | (2 << 20) | (2 << 24) | (2 << 28)
  mov dr7, eax
  out 0x80, al
  mov dx, 0x70
  in al, dx
  xor eax, eax
  DUMP 0x106, 0

  ; ---- RF and instruction breakpoints ----
  ; the handler returns with RF=0 the first [db_refire] times, then with RF=1
  mov eax, .ib1
  mov dr0, eax
  mov eax, 1                            ; L0, R/W0 = 00 (execute), LEN0 = 00
  mov dr7, eax
  mov dword [db_refire], 2
  mov ecx, 0x41
.ib1:
  inc ecx                               ; fires 3 times, runs once
  DUMP 0x110, 0
  ; RF suppresses the breakpoints of one instruction only: the next one fires
  mov eax, .ib3
  mov dr1, eax
  mov eax, .ib2
  mov dr0, eax
  mov eax, 0x5                          ; L0 L1
  mov dr7, eax
  mov dword [db_refire], 0
  mov ecx, 0x50
.ib2:
  inc ecx
.ib3:
  inc ecx
  DUMP 0x111, 0
  ; POPF does not load RF: the breakpoint on the instruction after it fires
  mov eax, .ib4
  mov dr0, eax
  mov eax, 1
  mov dr7, eax
  mov ecx, 0x60
  pushfd
  or dword [esp], 0x10000
  popfd
.ib4:
  inc ecx
  pushfd
  pop eax
  and eax, 0x10000                      ; RF reads as 0 (PUSHF stores it clear)
  DUMP 0x112, 0
  ; an IRET with RF=1 to an instruction without a breakpoint, then one with: it fires
  mov eax, .ib5b
  mov dr0, eax
  mov ecx, 0x70
  pushfd
  or dword [esp], 0x10000
  push cs
  push dword .ib5
  iretd
.ib5:
  inc ecx
.ib5b:
  inc ecx
  DUMP 0x113, 0
  xor eax, eax
  mov dr7, eax
  ret

; #DB: prints vector 1, EIP, DR6, ECX, the pushed RF; clears DR6; returns with RF=1 unless
; [db_refire] says to let the breakpoint fire again (n > 0: n more times; -1: always).
h_db:
  push eax
  push ebx
  push edx
  push esi
  push edi
  inc dword [db_count]
  cmp dword [db_count], 100
  jb .ok
  mov al, 1
  out 0xf4, al
.ok:
  mov eax, 1
  mov ebx, [esp + 20]                   ; EIP
  sub ebx, IMAGE_BASE
  mov edx, dr6
  mov esi, [esp + 28]                   ; EFLAGS
  and esi, 0x10000
  DUMP 0x200, 0
  xor eax, eax
  mov dr6, eax
  cmp dword [db_refire], 0
  je .rf
  jl .out
  dec dword [db_refire]
  jmp .out
.rf:
  or dword [esp + 28], 0x10000
.out:
  pop edi
  pop esi
  pop edx
  pop ebx
  pop eax
  iretd
db_count: dd 0
db_refire: dd 0

%include "sys.inc"
%include "harness-end.inc"
