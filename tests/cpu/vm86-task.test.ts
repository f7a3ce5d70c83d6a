import { describe, expect, it } from "vitest";
import { ENTER_FLAT_PM32, runReal, SET_GATE_ROUTINE } from "./harness.ts";

// Shared boot: GDT (0x08 code, 0x10 data, 0x18 TSS A, 0x20 TSS B, 0x28 task gate target), IDT at 0x7000.
const BOOT = `
${ENTER_FLAT_PM32}
      mov edi, 0x7000
      mov ecx, 512
      xor eax, eax
      rep stosd
      lidt [idtr]
      ; TSS A at 0x3000 (current task), TSS B at 0x3100
      mov ebx, 0x18
      mov eax, 0x3000
      call set_tss
      mov ebx, 0x20
      mov eax, 0x3100
      call set_tss
      mov dword [0x3004], 0x80000     ; esp0
      mov dword [0x3008], 0x10        ; ss0
      mov ax, 0x18
      ltr ax
      jmp test

set_tss:                              ; ebx = selector, eax = base (limit 0x67, available 32-bit TSS)
      mov word [gdt+ebx], 0x67
      mov [gdt+ebx+2], ax
      shr eax, 16
      mov [gdt+ebx+4], al
      mov byte [gdt+ebx+5], 0x89
      mov byte [gdt+ebx+6], 0
      mov [gdt+ebx+7], ah
      ret

${SET_GATE_ROUTINE}
align 8
gdt:  dq 0
      dq 0x00cf9a000000ffff
      dq 0x00cf92000000ffff
      dq 0
      dq 0
gdtr: dw 5*8-1
      dd gdt
idtr: dw 256*8-1
      dd 0x7000
`;

describe("virtual-8086 mode", () => {
  it("enters v8086 with IRET, runs real-mode code, and exits through the IDT with segment pushes", () => {
    const m = runReal(BOOT + `
test:
      mov eax, 0x21
      mov ebx, int21
      mov dl, 0xee                    ; DPL 3 interrupt gate
      mov cx, 0x08
      call set_gate
      mov eax, 13
      mov ebx, gp
      mov dl, 0x8e
      call set_gate
      ; v86 frame: GS FS DS ES SS ESP EFLAGS CS EIP
      push dword 0x0
      push dword 0x0
      push dword 0x0500               ; DS
      push dword 0x0600               ; ES
      push dword 0x0000               ; SS
      push dword 0x7c00               ; ESP
      push dword 0x00023002           ; VM | IOPL 3
      push dword 0x0000               ; CS
      push dword v86code
      iret
bits 16
v86code:
      mov ax, ds
      mov bx, 0x1234
      mov [0x10], bx                  ; DS:0x10 = linear 0x5010
      int 0x21
bits 32
int21:
      mov cx, ds                      ; null: leaving v8086 mode nulls DS/ES/FS/GS
      mov dx, 0x10
      mov ds, dx
      mov eax, [esp]                  ; EIP after INT
      mov [0x2000], eax
      mov eax, [esp+8]                ; EFLAGS
      mov [0x2004], eax
      mov eax, [esp+20]               ; ES
      mov [0x2008], eax
      mov eax, [esp+24]               ; DS
      mov [0x200c], eax
      mov [0x2010], cx
      ; go back with IOPL 0 to see CLI fault
      and dword [esp+8], ~0x3000
      mov dword [esp], v86cli
      iret
bits 16
v86cli:
      cli
      hlt
bits 32
gp:
      mov dx, 0x10
      mov ds, dx
      mov eax, [esp]                  ; error code
      mov [0x2014], eax
      mov eax, [esp+4]                ; EIP
      mov [0x2018], eax
      mov eax, [esp+12]
      mov [0x201c], eax               ; EFLAGS (VM set)
      hlt
`);
    const d = (a: number) => m.memory.ram32[a >>> 2] >>> 0;
    expect(m.memory.ram[0x5010] | (m.memory.ram[0x5011] << 8)).toBe(0x1234);
    expect(d(0x2004) & 0x20000).toBe(0x20000);
    expect(d(0x2008)).toBe(0x600);
    expect(d(0x200c)).toBe(0x500);
    expect(d(0x2010) & 0xffff).toBe(0); // data segments nulled on the way in
    expect(d(0x2014)).toBe(0);
    expect(d(0x201c) & 0x20000).toBe(0x20000);
    expect(m.cpu.getRegisters().cpl).toBe(0);
  });
});

describe("hardware task switching", () => {
  it("switches tasks by far JMP to a TSS, by a task gate for #DF, and back with IRET (NT)", () => {
    const m = runReal(BOOT + `
test:
      ; TSS B: a task that starts at taskb with its own stack
      mov dword [0x3100 + 0x20], taskb
      mov dword [0x3100 + 0x24], 0x2
      mov dword [0x3100 + 0x38], 0x70000  ; ESP
      mov word [0x3100 + 0x48], 0x10      ; ES
      mov word [0x3100 + 0x4c], 0x08      ; CS
      mov word [0x3100 + 0x50], 0x10      ; SS
      mov word [0x3100 + 0x54], 0x10      ; DS
      mov word [0x3100 + 0x58], 0x10
      mov word [0x3100 + 0x5c], 0x10
      mov eax, cr3
      mov [0x3100 + 0x1c], eax
      mov ebx, 0x1111
      call 0x20:0                          ; CALL to TSS B: nested task, back-link = 0x18
      mov [0x2004], ebx                    ; back in task A after IRET in B
      str ax
      mov [0x2008], ax
      ; #DF through a task gate: vector 8 -> TSS B again (now available)
      mov dword [0x3100 + 0x20], dfhandler
      mov dword [0x3100 + 0x38], 0x70000
      mov eax, 8
      mov ebx, 0
      mov dl, 0x85                         ; present task gate
      mov cx, 0x20
      call set_gate
      ; #GP with a not-present #GP gate -> #NP while delivering -> contributory pair -> #DF
      mov eax, 13
      mov ebx, 0
      mov dl, 0x0e                         ; not present
      mov cx, 0x08
      call set_gate
      mov eax, 11
      mov ebx, 0
      mov dl, 0x0e
      mov cx, 0x08
      call set_gate
      mov ax, 0x1234
      mov ds, ax                           ; #GP(0x1234) -> #NP -> #DF -> task switch
      hlt
taskb:
      mov ebx, 0x2222
      mov [0x2000], ebx
      pushfd
      pop eax
      mov [0x200c], eax                    ; NT set in the nested task
      iret
dfhandler:
      pop eax                              ; error code pushed on the new task's stack
      mov [0x2010], eax
      mov eax, [0x3000 + 0x20]             ; EIP saved in TSS A
      mov [0x2014], eax
      str ax
      mov [0x2018], ax
      hlt
`);
    const d = (a: number) => m.memory.ram32[a >>> 2] >>> 0;
    expect(d(0x2000)).toBe(0x2222);
    expect(d(0x2004)).toBe(0x1111); // task A's EBX restored from its TSS
    expect(d(0x2008) & 0xffff).toBe(0x18);
    expect(d(0x200c) & 0x4000).toBe(0x4000);
    expect(d(0x2010)).toBe(0);
    expect(d(0x2018) & 0xffff).toBe(0x20);
  });
});
