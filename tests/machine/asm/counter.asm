; Prints an ever-increasing counter (as a letter a..z cycling) every 20000 loop iterations;
; after 'z' has been printed 3 times it powers off. State lives in RAM and registers.
%include "mb-common.inc"
mb_start:
  mov esp, 0x90000          ; Multiboot leaves ESP undefined
  xor ecx, ecx              ; letters printed
  xor edi, edi
.outer:
  mov ebx, 20000
.spin:
  add edi, ebx
  xor edi, 0x5a5a
  dec ebx
  jnz .spin
  mov eax, ecx
  xor edx, edx
  push ecx
  mov ecx, 26
  div ecx
  pop ecx
  lea eax, [edx + 'a']
  mov dx, 0x3f8
  out dx, al
  mov [0x200000 + ecx * 4], edi
  inc ecx
  cmp ecx, 78
  jne .outer
  PUTC 10
  POWEROFF
mb_load_end:
mb_bss_end:
