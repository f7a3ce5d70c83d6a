; Benchmark guest for bench/map-churn.ts: a CPU-bound loop (ALU, loads, stores, branches, a call)
; that, when CHURN is 1, changes the memory map after every INNER iterations: A20 off and on again
; (port 0x92), a PAM register of the i440FX rewritten (0xC0000-0xC7FFF between shadow RAM and
; read-only), the std VGA's MMIO BAR moved between two addresses, and the VGA memory window
; switched (graphics controller register 6). Loaded at 2 MiB: code at addresses with bit 20 set
; would itself move while A20 is off. Never stops; [ROUNDS] counts the rounds.
%ifndef CHURN
%define CHURN 1
%endif
%ifndef INNER
%define INNER 200
%endif
%define MB_ORG 0x200000
%define ROUNDS 0x8000
%define VGA_CFG 0x8004
%define DATA 0x300000
%include "mb-common.inc"

mb_start:
  mov esp, 0x90000
  mov dword [ROUNDS], 0
%if CHURN
  ; find the std VGA (1234:1111) on bus 0
  mov ebx, 0x80000000
.scan:
  mov eax, ebx
  call cfg_read
  cmp eax, 0x11111234
  je .found
  add ebx, 1 << 11
  cmp ebx, 0x80000000 + (32 << 11)
  jne .scan
  PUTC 'V'
  hlt
.found:
  mov [VGA_CFG], ebx
  ; memory decoding on
  lea eax, [ebx + 4]
  call cfg_read
  or eax, 2
  mov ecx, eax
  lea eax, [ebx + 4]
  call cfg_write
%endif
  mov edi, 0
outer:
  mov ecx, INNER
  mov esi, DATA
  xor eax, eax
inner:
  add eax, ecx
  xor edx, eax
  mov ebx, [esi]
  add ebx, eax
  mov [esi+4], ebx
  lea esi, [esi+8]
  and esi, DATA | 0xffff
  shl edx, 3
  sub edx, ebx
  cmp eax, edx
  jb .skip
  inc edi
.skip:
  dec ecx
  jnz inner
  push eax
  call func
  pop eax
%if CHURN
  ; A20 gate off and on again (bit 0, the fast reset, stays clear)
  in al, 0x92
  and al, 0xfc
  out 0x92, al
  or al, 2
  out 0x92, al
  ; PAM1 (config 0x5A): 0xC0000-0xC7FFF alternates between read/write shadow RAM and read-only RAM
  mov eax, 0x80000058
  mov dx, 0xcf8
  out dx, eax
  mov dx, 0xcfe
  in al, dx
  xor al, 0x22
  out dx, al
  ; the VGA's MMIO BAR (BAR2, config 0x18) alternates between two addresses
  mov eax, [VGA_CFG]
  add eax, 0x18
  mov dx, 0xcf8
  out dx, eax
  mov dx, 0xcfc
  in eax, dx
  and eax, 0xfffff000
  cmp eax, 0xfeb00000
  mov eax, 0xfeb01000
  je .bar
  mov eax, 0xfeb00000
.bar:
  out dx, eax
  ; VGA memory window (GR06 bits 2-3): 0xA0000 128 KiB <-> 0xB8000 32 KiB
  mov dx, 0x3ce
  mov al, 6
  out dx, al
  inc dx
  in al, dx
  xor al, 0x0c
  out dx, al
%endif
  inc dword [ROUNDS]
  jmp outer

func:
  imul eax, eax, 7
  ret

%if CHURN
; eax = config address -> eax = dword
cfg_read:
  mov dx, 0xcf8
  out dx, eax
  mov dx, 0xcfc
  in eax, dx
  ret
; eax = config address, ecx = dword
cfg_write:
  mov dx, 0xcf8
  out dx, eax
  mov dx, 0xcfc
  mov eax, ecx
  out dx, eax
  ret
%endif
mb_load_end:
mb_bss_end:
