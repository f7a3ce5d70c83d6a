; String instructions: MOVS/STOS/LODS/CMPS/SCAS, byte/word/dword, REP prefixes, both directions.
%include "harness.inc"
test_main:
  ; fill scratch with a pattern using STOSD
  mov edi, scratch
  mov eax, 0x03020100
  mov ecx, 16
.fill:
  stosd
  add eax, 0x04040404
  loop .fill
  DUMP 1, FL_ALL
  ; forward rep movsb of 13 bytes to scratch+128
  mov esi, scratch + 1
  mov edi, scratch + 128
  mov ecx, 13
  rep movsb
  DUMP 2, FL_ALL
  ; backward rep movsw
  std
  mov esi, scratch + 30
  mov edi, scratch + 190
  mov ecx, 7
  rep movsw
  cld
  DUMP 3, FL_ALL
  ; rep stosd with ecx = 0 does nothing
  mov edi, scratch + 200
  xor ecx, ecx
  mov eax, 0xdeadbeef
  rep stosd
  DUMP 4, FL_ALL
  ; lodsb/lodsw/lodsd
  mov esi, scratch + 5
  lodsb
  DUMP 5, FL_ALL
  lodsw
  DUMP 6, FL_ALL
  lodsd
  DUMP 7, FL_ALL
  ; repe cmpsb: compare equal prefix then a difference
  mov byte [scratch + 128 + 9], 0x55
  mov esi, scratch + 1
  mov edi, scratch + 128
  mov ecx, 13
  repe cmpsb
  DUMP 8, FL_ALL
  ; repne scasb: find 0x55
  mov edi, scratch + 128
  mov al, 0x55
  mov ecx, 40
  repne scasb
  DUMP 9, FL_ALL
  ; scasd not found (ecx runs out)
  mov edi, scratch
  mov eax, 0x12345678
  mov ecx, 8
  repne scasd
  DUMP 10, FL_ALL
  ; cmpsw / cmpsd single, backwards
  std
  mov esi, scratch + 20
  mov edi, scratch + 24
  cmpsw
  DUMP 11, FL_ALL
  cmpsd
  DUMP 12, FL_ALL
  cld
  ; movsd/stosw single
  mov esi, scratch
  mov edi, scratch + 240
  movsd
  stosw
  DUMP 13, FL_ALL
  DUMPMEM 0xffff, scratch, 64
  ret
%include "harness-end.inc"
