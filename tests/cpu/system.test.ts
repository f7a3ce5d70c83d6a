import { describe, expect, it } from "vitest";
import { ENTER_FLAT_PM32, pagingOnWithPse, runReal } from "./harness.ts";

const PM = `
${ENTER_FLAT_PM32}
      jmp test
align 8
gdt:  dq 0
      dq 0x00cf9a000000ffff   ; 0x08 kernel code
      dq 0x00cf92000000ffff   ; 0x10 kernel data
      dq 0x00cffa000000ffff   ; 0x18 user code
      dq 0x00cff2000000ffff   ; 0x20 user data
gdtr: dw 5*8-1
      dd gdt
`;

describe("system instructions", () => {
  it("SYSEXIT to ring 3 and SYSENTER back", () => {
    const m = runReal(PM + `
test:
      mov ecx, 0x174
      mov eax, 0x08
      xor edx, edx
      wrmsr
      mov ecx, 0x175
      mov eax, 0x80000
      wrmsr
      mov ecx, 0x176
      mov eax, kentry
      wrmsr
      mov ecx, 0x70000            ; user ESP
      mov edx, user               ; user EIP
      sysexit
user:
      mov [0x2000], esp           ; user code may write (flat DPL3 data)
      mov ax, cs
      mov [0x2004], ax
      mov eax, 0x55
      sysenter
kentry:
      mov [0x2008], eax
      mov ax, cs
      mov [0x200c], ax
      mov ax, ss
      mov [0x2010], ax
      mov [0x2014], esp
      hlt
`);
    const d = (a: number) => m.memory.ram32[a >>> 2] >>> 0;
    expect(d(0x2000)).toBe(0x70000);
    expect(d(0x2004) & 0xffff).toBe(0x1b);
    expect(d(0x2008)).toBe(0x55);
    expect(d(0x200c) & 0xffff).toBe(0x08);
    expect(d(0x2010) & 0xffff).toBe(0x10);
    expect(d(0x2014)).toBe(0x80000);
    expect(m.cpu.getRegisters().cpl).toBe(0);
  });

  it("LAR, LSL, VERR, VERW, ARPL, SGDT, SMSW, STR", () => {
    const m = runReal(PM + `
test:
      mov ax, 0x1b
      lar ebx, ax
      setz [0x2000]
      mov [0x2004], ebx
      mov ax, 0x10
      lsl ecx, ax
      setz [0x2001]
      mov [0x2008], ecx
      mov ax, 0x18
      verr ax
      setz [0x2002]
      verw ax
      setz [0x2003]
      mov ax, 0x40                ; beyond the GDT limit
      lar ebx, ax
      setz [0x200c]
      mov ax, 0x10
      mov bx, 0x23
      arpl ax, bx
      setz [0x200d]
      mov [0x2010], ax
      sgdt [0x2020]
      smsw [0x2030]
      hlt
`);
    const d = (a: number) => m.memory.ram32[a >>> 2] >>> 0;
    const b = (a: number) => m.memory.ram[a];
    expect(b(0x2000)).toBe(1);
    expect(d(0x2004)).toBe(0x00c0fa00); // limit bits 19:16 masked
    expect(b(0x2001)).toBe(1);
    expect(d(0x2008)).toBe(0xffffffff);
    expect(b(0x2002)).toBe(1);
    expect(b(0x2003)).toBe(0);
    expect(b(0x200c)).toBe(0);
    expect(b(0x200d)).toBe(1);
    expect(d(0x2010) & 0xffff).toBe(0x13);
    expect(m.memory.ram[0x2020] | (m.memory.ram[0x2021] << 8)).toBe(5 * 8 - 1);
    expect(m.memory.ram[0x2030] & 1).toBe(1);
  });

  it("INVLPG inside a 4 MiB page drops all of its cached pieces", () => {
    const m = runReal(PM + `
test:
      mov edi, 0x20000
      mov ecx, 1024
      xor eax, eax
      rep stosd
      mov dword [0x20000], 0x00000083            ; 0-4 MiB: 4 MiB page
      mov dword [0x20000 + 4], 0x00000083        ; 4-8 MiB -> phys 0 (alias)
${pagingOnWithPse(0x20000)}
      mov dword [0x300000], 0x11111111
      mov dword [0x100000], 0x22222222
      mov eax, [0x700000]                        ; alias of 0x300000 (cached piece)
      mov [0x2000], eax
      mov eax, [0x500000]                        ; alias of 0x100000 (cached piece)
      mov dword [0x20000 + 4], 0x00000083 | (1 << 22)
      invlpg [0x400000]                          ; one INVLPG anywhere in the large page
      mov eax, [0x700000]                        ; now phys 0x700000 (identity, zero)
      mov [0x2004], eax
      mov eax, [0x500000]
      mov [0x2008], eax
      hlt
`, undefined, 1_000_000, 16);
    const d = (a: number) => m.memory.ram32[a >>> 2] >>> 0;
    expect(d(0x2000)).toBe(0x11111111);
    expect(d(0x2004)).toBe(0);
    expect(d(0x2008)).toBe(0);
  });

  it("far CALL through a call gate to ring 0 copies parameters; RETF n returns to ring 3", () => {
    const m = runReal(`
      cli
      lgdt [gdtr2]
      mov eax, cr0
      or al, 1
      mov cr0, eax
      jmp 0x08:pm
bits 32
pm:
      mov ax, 0x10
      mov ds, ax
      mov es, ax
      mov ss, ax
      mov esp, 0x90000
      ; TSS at 0x3000 with ring-0 stack 0x80000
      mov dword [0x3004], 0x80000
      mov dword [0x3008], 0x10
      mov ax, 0x28
      ltr ax
      mov eax, gp_handler           ; #GP gate: ring-3 HLT ends the test in ring 0
      mov [0x7000 + 13*8], ax
      mov word [0x7000 + 13*8 + 2], 0x08
      mov word [0x7000 + 13*8 + 4], 0x8e00
      shr eax, 16
      mov [0x7000 + 13*8 + 6], ax
      lidt [idtr2]
      ; call gate 0x30 -> 0x08:gate_target, DPL 3, 2 dword parameters
      mov eax, gate_target
      mov [gdt2 + 0x30], ax
      mov word [gdt2 + 0x32], 0x08
      mov byte [gdt2 + 0x34], 2
      mov byte [gdt2 + 0x35], 0xec
      shr eax, 16
      mov [gdt2 + 0x36], ax
      mov ax, 0x23                  ; DS/ES usable in ring 3 (IRET would null a DPL 0 DS)
      mov ds, ax
      mov es, ax
      push dword 0x23
      push dword 0x70000
      push dword 0x2
      push dword 0x1b
      push dword user
      iret
user:
      push dword 0x1111
      push dword 0x2222
      call 0x33:0
      mov [0x2010], esp            ; back in ring 3, parameters popped by RETF 8
      mov ax, cs
      mov [0x2014], ax
      hlt                          ; #GP in ring 3
gp_handler:
      hlt
gate_target:
      mov eax, [esp+8]             ; param 2 (pushed last = 0x2222 is at lower address)
      mov [0x2000], eax
      mov eax, [esp+12]
      mov [0x2004], eax
      mov eax, [esp+4]             ; caller CS
      mov [0x2008], eax
      mov [0x200c], esp
      retf 8
align 8
gdt2: dq 0
      dq 0x00cf9a000000ffff       ; 0x08
      dq 0x00cf92000000ffff       ; 0x10
      dq 0x00cffa000000ffff       ; 0x18
      dq 0x00cff2000000ffff       ; 0x20
      dw 0x67, 0x3000, 0x8900, 0  ; 0x28 TSS at 0x3000
      dq 0                        ; 0x30 call gate (filled in)
gdtr2: dw 7*8-1
      dd gdt2
idtr2: dw 256*8-1
      dd 0x7000
`);
    const d = (a: number) => m.memory.ram32[a >>> 2] >>> 0;
    expect(d(0x2000)).toBe(0x2222);
    expect(d(0x2004)).toBe(0x1111);
    expect(d(0x2008) & 0xffff).toBe(0x1b);
    expect(d(0x200c)).toBe(0x80000 - 16 - 8);
    expect(d(0x2010)).toBe(0x70000);
    expect(d(0x2014) & 0xffff).toBe(0x1b);
  });
});
