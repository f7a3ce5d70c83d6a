; Keeps a one-byte note on the IDE primary master disk (ATA PIO, LBA 0): at boot it prints "R"
; and the note ('-' for a blank disk) and a newline; for each byte received on COM1 (polled) it
; writes a sector full of that byte to LBA 0 and answers "W" and the byte. For tests of disk
; writes that persist across restarts and reloads.
%include "mb-common.inc"
mb_start:
  mov esp, 0x90000
  ; READ SECTORS, LBA 0, 1 sector
  call select_lba0
  mov dx, 0x1f7
  mov al, 0x20
  out dx, al
  call wait_drq
  mov edi, sector
  mov ecx, 256
  mov dx, 0x1f0
  rep insw
  PUTC 'R'
  mov al, [sector]
  test al, al
  jnz .known
  mov al, '-'
.known:
  mov dx, 0x3f8
  out dx, al
  PUTC 10
.poll:
  mov dx, 0x3fd
  in al, dx
  test al, 1
  jnz .got
  pause
  jmp .poll
.got:
  mov dx, 0x3f8
  in al, dx
  mov edi, sector
  mov ecx, 512
  rep stosb
  mov [note], al
  ; WRITE SECTORS, LBA 0, 1 sector
  call select_lba0
  mov dx, 0x1f7
  mov al, 0x30
  out dx, al
  call wait_drq
  mov esi, sector
  mov ecx, 256
  mov dx, 0x1f0
  rep outsw
.busy:
  mov dx, 0x1f7
  in al, dx
  test al, 0x80
  jnz .busy
  PUTC 'W'
  mov al, [note]
  mov dx, 0x3f8
  out dx, al
  PUTC 10
  jmp .poll

select_lba0:
  mov dx, 0x1f6
  mov al, 0xe0              ; master, LBA
  out dx, al
  mov dx, 0x1f2
  mov al, 1
  out dx, al
  xor al, al
  mov dx, 0x1f3
  out dx, al
  inc dx
  out dx, al
  inc dx
  out dx, al
  ret

wait_drq:
  mov dx, 0x1f7
.w:
  in al, dx
  test al, 0x80
  jnz .w
  test al, 0x08
  jz .w
  ret

note: db 0
align 4
mb_load_end:
sector: resb 512
mb_bss_end:
