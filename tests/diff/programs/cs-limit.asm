; A code segment with a limit (SDM vol. 3A 5.3): code running inside it up to its last byte (hot
; loops, CALL/RET, Jcc, LOOP, indirect jumps, so compiled blocks run there too), and far JMPs
; (direct and through a memory pointer) to an offset beyond the limit: #GP(0) at the JMP. The
; faults at the limit that QEMU 7.2's TCG does not model (running off the end, near transfers)
; are in qemu-divergent/cs-limit-faults.asm, checked against the host CPU.
%include "harness.inc"

%define SEL_CLIM (SEL_SPARE + 0x00)   ; 32-bit code, base IMAGE_BASE, limit LIMIT (bytes)
%define LIMIT    (lim_end - IMAGE_BASE - 1)
%define OFF(x)   ((x) - IMAGE_BASE)   ; offset of label x in SEL_CLIM

test_main:
  call sys_init
  mov eax, LIMIT
  mov [gdt + SEL_CLIM], ax
  and eax, 0xf0000
  or eax, 0x00409b10                    ; base 0x100000 (bits 16..23 = 0x10)
  mov [gdt + SEL_CLIM + 4], eax
  mov eax, 13
  mov edx, g_gp
  mov ecx, 0x8e00
  call set_gate

  mov [g_esp], esp
  call SEL_CLIM:OFF(inside)             ; returns with RETF from the segment's last byte
  DUMP 0x101, FL_ALL

  mov dword [g_resume], .f1
  mov [g_esp], esp
  jmp SEL_CLIM:LIMIT + 1
.f1:
  mov esp, [g_esp]
  DUMP 0x102, 0
  mov dword [g_resume], .f2
  mov [g_esp], esp
  mov dword [scratch], LIMIT + 0x80
  mov word [scratch + 4], SEL_CLIM
  jmp far [scratch]
.f2:
  mov esp, [g_esp]
  DUMP 0x103, 0
  ret

; ---- #GP handler: prints vector, error code, EIP, CS, the ESP of the fault; goes on at
; [g_resume] (no IRET) ----
g_gp:
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  inc dword [g_count]
  cmp dword [g_count], 100
  jb .ok
  mov al, 1
  out 0xf4, al
.ok:
  mov eax, 13
  mov ebx, [esp]                        ; error code
  mov ecx, [esp + 4]                    ; EIP
  movzx edx, word [esp + 8]             ; CS
  lea esi, [esp + 16]                   ; ESP when the fault happened
  DUMP 0x200, 0
  jmp [g_resume]
g_resume: dd 0
g_esp: dd 0
g_count: dd 0

; ---- code run in SEL_CLIM (position-independent: only relative branches) ----
align 16
inside:
  xor eax, eax
  xor ebx, ebx
  mov ecx, 3000
.loop:                                  ; hot: CALL/RET, Jcc both ways, LOOP
  call .f
  test ecx, 1
  jz .even
  add ebx, ecx
.even:
  loop .loop
  mov edx, OFF(.ind)
  jmp edx                               ; indirect, inside the limit
.ind:
  mov ecx, 2000
.l2:
  add eax, ecx
  dec ecx
  jnz .l2
  jmp near tail
.f:
  inc eax
  ret
times 0x80 - ($ - inside) % 0x80 nop
tail:
  add eax, 1
  retf                                  ; its one byte is the segment's last
lim_end:
  ; beyond the limit (never executed)
  times 0x100 nop
  mov al, 1
  out 0xf4, al

%include "sys.inc"
%include "harness-end.inc"
