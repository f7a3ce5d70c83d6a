; Looks for the MP floating pointer where the MultiProcessor Specification 1.4 says to (first KiB of
; the EBDA, last KiB of base memory, 0xF0000-0xFFFFF), then prints the configuration table entry by
; entry (CPU signature and feature flags left out: they describe the host CPU model).
%include "mb-common.inc"
%include "mb-print.inc"

; esi = start, ecx = bytes: returns esi = the floating pointer (checksum valid) or 0
mp_scan:
  push ecx
  shr ecx, 4
.try:
  cmp dword [esi], '_MP_'
  jne .next
  ; checksum over length * 16 bytes
  push ecx
  movzx ecx, byte [esi + 8]
  shl ecx, 4
  call bytesum
  pop ecx
  test al, al
  jz .found
.next:
  add esi, 16
  loop .try
  xor esi, esi
.found:
  pop ecx
  ret

; print the APIC version and flags bytes that processor and I/O APIC entries (at esi) share
apic_version_flags:
  PRINT_HEX "version ", byte [esi + 2], 2
  PRINT_HEX ", flags ", byte [esi + 3], 2
  ret

mb_start:
  mov esp, 0x90000
  movzx esi, word [0x40e]
  shl esi, 4
  mov ecx, 1024
  call mp_scan
  PRINT "MP floating pointer: "
  test esi, esi
  jz .not_ebda
  PRINT "in the EBDA"
  jmp .have
.not_ebda:
  movzx esi, word [0x413]
  shl esi, 10
  sub esi, 1024
  mov ecx, 1024
  call mp_scan
  test esi, esi
  jz .not_base
  PRINT "in the last KiB of base memory"
  jmp .have
.not_base:
  mov esi, 0xf0000
  mov ecx, 0x10000
  call mp_scan
  test esi, esi
  jz .none
  PRINT "in the BIOS area 0xF0000-0xFFFFF"
.have:
  PRINT_DEC ", spec 1.", byte [esi + 9]
  PRINT_DEC ", default config ", byte [esi + 11]
  PRINT ", IMCR "
  movzx eax, byte [esi + 12]
  shr eax, 7
  call putdec
  PRINT 10
  mov ebx, [esi + 4]
  test ebx, ebx
  jz .done
  cmp dword [ebx], 'PCMP'
  jne .bad_table
  ; table checksum over its base length
  movzx ecx, word [ebx + 4]
  mov esi, ebx
  call bytesum
  test al, al
  jnz .bad_table
  PRINT_DEC "PCMP rev ", byte [ebx + 6]
  PRINT_CHARS ", OEM '", [ebx + 8], 8
  PRINT_CHARS "', product '", [ebx + 16], 12
  PRINT_HEX "', local APIC ", dword [ebx + 36], 8
  PRINT_DEC ", ", word [ebx + 34]
  PRINT " entries", 10
  movzx edi, word [ebx + 34]
  lea esi, [ebx + 44]
.entry:
  test edi, edi
  jz .done
  dec edi
  movzx eax, byte [esi]
  cmp al, 0
  je .cpu
  cmp al, 1
  je .bus
  cmp al, 2
  je .ioapic
  cmp al, 3
  je .int
  cmp al, 4
  je .lint
  PRINT "unknown entry type "
  call putdec
  PRINT 10
  jmp .done
.cpu:
  PRINT_DEC "  cpu: APIC id ", byte [esi + 1]
  PRINT ", "
  call apic_version_flags
  PRINT 10
  add esi, 20
  jmp .entry
.bus:
  PRINT_DEC "  bus ", byte [esi + 1]
  PRINT_CHARS ": '", [esi + 2], 6
  PRINT "'", 10
  add esi, 8
  jmp .entry
.ioapic:
  PRINT_DEC "  I/O APIC ", byte [esi + 1]
  PRINT ": "
  call apic_version_flags
  PRINT_HEX ", address ", dword [esi + 4], 8
  PRINT 10
  add esi, 8
  jmp .entry
.int:
  PRINT "  interrupt: type "
  jmp .intsrc
.lint:
  PRINT "  local interrupt: type "
.intsrc:
  movzx eax, byte [esi + 1]
  call putdec
  PRINT_HEX ", flags ", word [esi + 2], 4
  PRINT_DEC ", bus ", byte [esi + 4]
  PRINT_HEX " irq ", byte [esi + 5], 2
  PRINT_HEX " -> APIC ", byte [esi + 6], 2
  PRINT_DEC " pin ", byte [esi + 7]
  PRINT 10
  add esi, 8
  jmp .entry
.bad_table:
  PRINT "configuration table missing or its checksum is wrong", 10
  jmp .done
.none:
  PRINT "none found", 10
.done:
  DEBUG_EXIT
mb_load_end:
mb_bss_end:
