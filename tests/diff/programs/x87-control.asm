; x87 control: rounding control (nearest/down/up/chop) and precision control (24/53/64 bits) on
; arithmetic, FRNDINT and integer stores; masked exceptions (invalid, denormal, zero divide,
; overflow, underflow, precision) with their default results; unmasked exceptions reported as #MF
; (CR0.NE=1) at the next waiting instruction; the 80-bit memory format's special encodings;
; FNSTCW/FLDCW, FNSTSW, FNCLEX, FWAIT, FNSTENV/FLDENV, FNSAVE/FRSTOR and FXSAVE/FXRSTOR round trips.
; FIP/FDP/FOP are left out of the memory images (QEMU 7.2 stores zeros there, see README.md).
%include "harness.inc"

; RC value into the control word (all exceptions masked, 64-bit precision)
%macro SETCW 1
  mov word [cw], %1
  fldcw [cw]
%endmacro

test_main:
  call sys_init
  call fpu_init
  ; ---- rounding control: 1/3, -1/3, 2.5 and -2.5 under each mode ----
%assign rc 0
%rep 4
  SETCW 0x037f | (rc << 10)
  fld1
  fld qword [three]
  fdivp st1, st0
  fld1
  fchs
  fld qword [three]
  fdivp st1, st0
  fld qword [two_half]
  frndint
  fld qword [two_half]
  fchs
  fistp dword [out + rc * 16]
  fld qword [two_half]
  fistp word [out + rc * 16 + 4]
  fld qword [m_big]
  fistp qword [out + rc * 16 + 8]
  fld st2
  fstp dword [out + 64 + rc * 4]
  DUMPFPU 0x10 + rc, FSW_NO_C1
  fninit
%assign rc rc + 1
%endrep
  DUMPMEM 0x14, out, 20
  ; ---- precision control: 24, 53 and 64 bits ----
%assign pc 0
%rep 4
  SETCW 0x007f | (pc << 8)
  fld1
  fld qword [three]
  fdivp st1, st0
  fld qword [three]
  fsqrt
  fld qword [three]
  fld1
  faddp st1, st0
  fld tword [f80_long]
  fmul st0, st0
  DUMPFPU 0x20 + pc, FSW_NO_C1
  fninit
%assign pc pc + 1
%endrep
  ; ---- masked exceptions and their default results ----
  SETCW 0x037f
  fldz
  fldz
  fdivp st1, st0            ; 0/0: invalid, indefinite
  DUMPFPU 0x30
  fnclex
  fld1
  fldz
  fdivp st1, st0            ; 1/0: zero divide, +inf
  DUMPFPU 0x31
  fnclex
  fld tword [f80_inf]
  fld tword [f80_inf]
  fsubp st1, st0            ; inf - inf: invalid
  DUMPFPU 0x32
  fnclex
  fld tword [f80_max]
  fmul st0, st0             ; overflow + precision: +inf
  DUMPFPU 0x33, FSW_NO_C1
  fnclex
  fld tword [f80_min]
  fmul st0, st0             ; underflow + precision: 0 / denormal
  DUMPFPU 0x34, FSW_NO_C1
  fnclex
  fld tword [f80_denorm]
  fld1
  fadd st0, st1             ; denormal operand
  DUMPFPU 0x35, FSW_NO_DE
  fnclex
  fld qword [m_huge]
  fistp dword [out]         ; out of range: integer indefinite
  fld qword [m_huge]
  fistp word [out + 4]
  fld qword [m_huge]
  fbstp [out + 8]           ; BCD indefinite
  DUMPMEM 0x36, out, 5
  DUMPFPU 0x37
  fninit
  fld dword [snan32]        ; a signalling NaN load: invalid, quieted
  DUMPFPU 0x38
  fninit
  fld tword [f80_unnormal]  ; an unsupported format (unnormal) in arithmetic: invalid
  fld1
  fadd st0, st1
  DUMPFPU 0x39
  fninit
  fld tword [f80_pseudo_denorm]
  fld1
  fmul st0, st1
  DUMPFPU 0x3a, FSW_NO_DE
  fninit
  fld dword [f32_denorm]    ; a single denormal loaded: D flag, normalized in the register
  DUMPFPU 0x3b, FSW_NO_DE
  fninit
  ; ---- unmasked exceptions: #MF at the next FWAIT (the cases where QEMU follows the SDM; the
  ; others are in qemu-divergent/x87-unmasked.asm) ----
  SETCW 0x035f              ; precision unmasked: the rounded result is stored
  fld1
  fld qword [three]
  SETRESUME .mf5
  fdivp st1, st0
  fwait
.mf5:
  DUMPFPU 0x44, FSW_NO_C1
  fninit
  SETCW 0x037e              ; invalid unmasked, FCOM with a NaN: nothing stored or popped
  fld tword [f80_qnan]
  fld1
  SETRESUME .mf7
  fcom st1
  fwait
.mf7:
  DUMPFPU 0x47
  fninit
  ; FNSTSW/FNSTCW/FNCLEX with a pending exception do not fault
  SETCW 0x037e
  fld tword [f80_qnan]
  fld1
  fcom st1
  fnstsw ax
  fnstcw [cw]
  movzx ebx, word [cw]
  fnclex
  fwait
  DUMP 0x46, 0
  fninit
  ; ---- environment and state images ----
  SETCW 0x0b7f
  fldpi
  fld1
  fldz
  fld tword [f80_denorm]
  fld tword [f80_inf]
  fld tword [f80_qnan]
  fld1
  fdiv st0, st5
  fnstenv [env]
  call env_low_words
  DUMPMEM 0x50, env_words, 3
  DUMPFPU 0x51, FSW_NO_C1   ; FNSTENV masks every exception
  fldenv [env]
  DUMPFPU 0x52, FSW_NO_C1
  fnsave [save]
  push dword [save + 8]
  push dword [save + 4]
  push dword [save]
  pop dword [env]
  pop dword [env + 4]
  pop dword [env + 8]
  call env_low_words
  DUMPMEM 0x53, env_words, 3
  DUMPMEM 0x54, save + 28, 20
  DUMPFPU 0x55              ; FNSAVE reinitializes
  fld1
  frstor [save]
  DUMPFPU 0x56, FSW_NO_C1
  fxsave [fxs]
  DUMPMEM 0x57, fxs, 1
  movzx eax, byte [fxs + 4] ; the abridged tag (FOP beside it is not compared)
  DUMP 0x5c, 0
  DUMPMEM 0x58, fxs + 24, 2
  DUMPMEM 0x59, fxs + 32, 32
  fninit
  fldz
  fxrstor [fxs]
  DUMPFPU 0x5a, FSW_NO_C1
  ; FXRSTOR from an image with an abridged tag byte and registers written by hand
  mov word [fxs], 0x0c7f    ; RC chop
  mov word [fxs + 2], 0x3000 ; TOP 6
  mov byte [fxs + 4], 0xc0  ; ST0, ST1 (physical 6, 7) valid
  fxrstor [fxs]
  fadd st0, st1
  DUMPFPU 0x5b, FSW_NO_C1
  fninit
  ret

; env_low_words: the control, status and tag words of a 32-bit environment image without their
; reserved upper halves (the SDM does not define them; hardware and Hypertab store ones, QEMU zeros)
env_low_words:
  movzx eax, word [env]
  mov [env_words], eax
  movzx eax, word [env + 4]
  mov [env_words + 4], eax
  movzx eax, word [env + 8]
  mov [env_words + 8], eax
  ret

align 16
env_words: times 3 dd 0
cw: dw 0
three: dq 3.0
two_half: dq 2.5
m_big: dq -1.5e18
m_huge: dq 1.0e30
f80_long: dq 0xaaaaaaaaaaaaaaab   ; 4/3 with a long mantissa
  dw 0x3fff
f80_inf: dq 0x8000000000000000
  dw 0x7fff
f80_qnan: dq 0xc000000000000001
  dw 0x7fff
f80_max: dq 0xffffffffffffffff
  dw 0x7ffe
f80_min: dq 0x8000000000000000
  dw 0x0001
f80_denorm: dq 0x0000000012345678
  dw 0x0000
f80_unnormal: dq 0x4000000000000000
  dw 0x4000
f80_pseudo_denorm: dq 0x8000000000000001
  dw 0x0000
snan32: dd 0x7f800001
f32_denorm: dd 0x00012345
align 16
out: times 96 db 0
env: times 28 db 0
save: times 108 db 0
align 16
fxs: times 512 db 0

%include "sys.inc"
%include "harness-end.inc"
