; Debug registers: an instruction breakpoint (DR2, RW=00) faulting before the instruction with
; DR6.B2, breakpoints that are not enabled in DR7 (DR0/DR1/DR3: nothing happens), and DR7 read back.
; Data breakpoints: qemu-divergent/debug-data-breakpoints.asm (QEMU 7.2 does not deliver them).
%include "harness.inc"
test_main:
  call sys_init
  xor eax, eax
  mov dr6, eax
  mov eax, watch
  mov dr0, eax
  mov eax, watch + 8
  mov dr1, eax
  mov eax, .ibp
  mov dr2, eax
  mov eax, watch + 16
  mov dr3, eax                          ; not enabled in DR7
  ; DR7: only L2 (RW2=00 LEN2=00); DR0/DR1 hold addresses with their fields set but not enabled
  mov eax, (1 << 4) | (0x1 << 16) | (0x3 << 18) | (0x3 << 20) | (0x1 << 22)
  mov dr7, eax
  mov ebx, dr7
  DUMP 1, 0
  mov dword [watch], 5                  ; DR0 not enabled
  mov eax, dr6
  and eax, 0x400f
  DUMP 2, 0
  xor eax, eax
  mov dr6, eax
  mov eax, [watch + 4]                  ; not watched
  mov ecx, [watch + 8]                  ; DR1 not enabled
  mov eax, dr6
  and eax, 0x400f
  DUMP 3, 0
  xor eax, eax
  mov dr6, eax
  mov dword [watch + 16], 1             ; DR3 is not enabled
  SETRESUME .after_ibp
.ibp:
  nop                                   ; DR2: #DB before the NOP
.after_ibp:
  mov eax, dr6
  and eax, 0x400f
  DUMP 4, 0
  xor eax, eax
  mov dr7, eax
  ret
align 16
watch: times 32 db 0
%include "sys.inc"
%include "harness-end.inc"
