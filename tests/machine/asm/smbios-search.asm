; Looks for the SMBIOS entry point ("_SM_" on a 16-byte boundary in 0xF0000-0xFFFFF, with the
; "_DMI_" intermediate anchor) and prints its version and every structure's type, length, handle and
; string count.
%include "mb-common.inc"
%include "mb-print.inc"

mb_start:
  mov esp, 0x90000
  mov esi, 0xf0000
.scan:
  cmp dword [esi], '_SM_'
  jne .next
  cmp dword [esi + 16], '_DMI'
  jne .next
  ; entry point checksum over its length byte
  movzx ecx, byte [esi + 5]
  call bytesum
  test al, al
  jz .found
.next:
  add esi, 16
  cmp esi, 0x100000
  jb .scan
  PRINT "no SMBIOS entry point", 10
  jmp .done
.found:
  PRINT_DEC "SMBIOS ", byte [esi + 6]
  PRINT_DEC ".", byte [esi + 7]
  PRINT_DEC ", ", word [esi + 0x1c]
  PRINT " structures", 10
  ; ebp = table end, [max_seen] = largest structure walked, [max_said] = what the entry point says
  movzx ebp, word [esi + 0x16]
  mov ebx, [esi + 0x18]
  add ebp, ebx
  movzx eax, word [esi + 8]
  mov [max_said], eax
  movzx edi, word [esi + 0x1c]
.struct:
  test edi, edi
  jz .walked
  cmp ebx, ebp
  jae .walked
  dec edi
  PRINT_DEC "  type ", byte [ebx]
  PRINT_DEC ", length ", byte [ebx + 1]
  PRINT_HEX ", handle ", word [ebx + 2], 4
  ; strings follow the formatted area: NUL-terminated, an empty string ends the set (two NULs
  ; when there are none); counted, not printed, since they name the firmware and machine
  movzx eax, byte [ebx + 1]
  lea esi, [ebx + eax]
  xor ecx, ecx
  cmp word [esi], 0
  jne .string
  add esi, 2
  jmp .end_strings
.string:
  cmp byte [esi], 0
  je .strings_done
  inc ecx
.skip:
  lodsb
  test al, al
  jnz .skip
  jmp .string
.strings_done:
  inc esi
.end_strings:
  mov eax, esi
  sub eax, ebx
  cmp eax, [max_seen]
  jbe .not_larger
  mov [max_seen], eax
.not_larger:
  PRINT ", "
  mov eax, ecx
  call putdec
  PRINT " strings", 10
  mov ebx, esi
  jmp .struct
.walked:
  ; lengths the entry point gives (they depend on the strings) must agree with the walk
  cmp ebx, ebp
  jne .bad_length
  mov eax, [max_seen]
  cmp eax, [max_said]
  jne .bad_length
  PRINT "table length and largest structure agree with the entry point", 10
  jmp .done
.bad_length:
  PRINT "table length or largest structure size disagrees with the entry point", 10
.done:
  DEBUG_EXIT
max_seen: dd 0
max_said: dd 0
mb_load_end:
mb_bss_end:
