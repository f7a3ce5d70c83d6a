; A Multiboot kernel linked at 0x8000 whose image and bss reach 0xA84C (as small teaching kernels
; are): checks the loader's magic, that every byte of the image arrived and that the bss is zero.
; (QEMU 7.2 hands such a kernel EBX = 0x9500, inside the image it then loads over the information, so
; the information itself is not compared; Hypertab puts it above the kernel.)
bits 32
org 0x8000
KERNEL_END equ 0xa84c
mb_header:
  dd 0x1BADB002
  dd 0x00010002
  dd -(0x1BADB002 + 0x00010002)
  dd mb_header
  dd mb_header
  dd image_end
  dd KERNEL_END
  dd mb_start

%include "mb-print.inc"

mb_start:
  mov esp, 0x7c00
  cmp eax, 0x2BADB002
  jne .bad_magic
  PRINT "linked at 0x8000: Multiboot magic ok, "
  ; the filler between the code and image_end holds its own offsets, one dword each
  mov esi, filler
.check:
  cmp dword [esi], esi
  jne .bad_image
  add esi, 4
  cmp esi, image_end
  jb .check
  PRINT "image intact, "
  mov edi, image_end
.bss:
  cmp byte [edi], 0
  jne .bad_bss
  inc edi
  cmp edi, KERNEL_END
  jb .bss
  PRINT "bss zero up to "
  mov eax, KERNEL_END
  mov ecx, 4
  call puthex
  PRINT 10
  jmp .exit
.bad_magic:
  PRINT "bad Multiboot magic", 10
  jmp .exit
.bad_image:
  PRINT "image damaged at "
  mov eax, esi
  mov ecx, 8
  call puthex
  PRINT 10
  jmp .exit
.bad_bss:
  PRINT "bss not zero at "
  mov eax, edi
  mov ecx, 8
  call puthex
  PRINT 10
.exit:
  DEBUG_EXIT

align 4
filler:
%assign addr 0
%rep (0xa000 - 0x8000) / 4
  dd $
%endrep
image_end:
