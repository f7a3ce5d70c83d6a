import { describe, expect, it } from "vitest";
import { ENTER_FLAT_PM32, pagingOnWithPse, runReal, SET_GATE_ROUTINE } from "./harness.ts";

// A small protected-mode kernel: GDT, IDT, TSS, paging with a PSE alias, a #PF handler that maps
// the missing page and retries, WP write protection, a ring-3 task that faults on CLI (#GP) and
// calls back with INT 0x80.
const KERNEL = `
${ENTER_FLAT_PM32}
      ; IDT at 0x7000
      mov edi, 0x7000
      mov ecx, 256*2
      xor eax, eax
      rep stosd
      mov cx, 0x08
      mov eax, 14
      mov ebx, pf_handler
      mov dl, 0x8e
      call set_gate
      mov eax, 13
      mov ebx, gp_handler
      mov dl, 0x8e
      call set_gate
      mov eax, 0x80
      mov ebx, syscall
      mov dl, 0xee
      call set_gate
      lidt [idtr]
      ; TSS descriptor (selector 0x28) for the ring-0 stack
      mov dword [tss+4], 0x80000
      mov dword [tss+8], 0x10
      mov eax, tss
      mov word [gdt+0x28], 0x67
      mov [gdt+0x2a], ax
      shr eax, 16
      mov [gdt+0x2c], al
      mov byte [gdt+0x2d], 0x89
      mov byte [gdt+0x2e], 0
      mov [gdt+0x2f], ah
      mov ax, 0x28
      ltr ax
      ; Page directory at 0x20000, page table at 0x21000 mapping 0-4 MiB (user, writable)
      mov edi, 0x20000
      mov ecx, 2048
      xor eax, eax
      rep stosd
      mov edi, 0x21000
      mov eax, 0x7
      mov ecx, 1024
  fill: stosd
      add eax, 0x1000
      loop fill
      mov dword [0x21000 + 0x300*4], 0          ; 0x300000 not present
      mov dword [0x21000 + 0x50*4], 0x50005     ; 0x50000 read-only (user, present)
      mov dword [0x20000], 0x21007
      mov dword [0x20000 + 4], 0x00000087       ; PDE 1: 4 MiB page at 0x400000 -> phys 0 (PSE)
${pagingOnWithPse(0x20000, { writeProtect: true })}
      ; PSE alias: write at 0x400000+0x600 lands at 0x600
      mov dword [0x400600], 0xcafef00d
      ; Touch an unmapped page: #PF maps it, the store is retried
      mov dword [0x300010], 0x12345678
      mov eax, [0x300010]
      mov [0x604], eax
      ; Supervisor write to a read-only page with WP=1 faults (error code 3)
      mov byte [0x50000], 1
      ; Enter ring 3 (with DS/ES usable there: IRET would null a DPL 0 DS, and the ring-0
      ; handlers address memory through DS)
      mov ax, 0x23
      mov ds, ax
      mov es, ax
      push dword 0x23
      push dword 0x70000
      push dword 0x202
      push dword 0x1b
      push dword user
      iret
user:
      cli                       ; #GP (IOPL 0); the handler skips it
      mov eax, 0x42
      int 0x80
      jmp $

syscall:
      mov [0x620], eax
      mov eax, [esp+4]          ; caller CS
      mov [0x624], eax
      mov eax, [esp+16]         ; caller SS
      mov [0x628], eax
      mov [0x62c], esp
      mov ax, ss
      mov [0x630], ax
      hlt

pf_handler:
      push eax
      mov eax, cr2
      mov [0x608], eax
      mov eax, [esp+4]          ; error code
      inc dword [0x60c]
      mov [0x610 + 4*0], eax
      cmp dword [0x608], 0x50000
      je .ro
      mov dword [0x21000 + 0x300*4], 0x300007
      invlpg [0x300000]
      jmp .out
  .ro:
      mov [0x614], eax
      mov dword [0x21000 + 0x50*4], 0x50007
      invlpg [0x50000]
  .out:
      pop eax
      add esp, 4
      iret

gp_handler:
      push eax
      mov eax, [esp+4]
      mov [0x618], eax          ; error code
      mov eax, [esp+12]
      mov [0x61c], eax          ; CS of the faulting code
      pop eax
      add esp, 4
      inc dword [esp]           ; skip the 1-byte CLI
      iret

${SET_GATE_ROUTINE}
align 8
gdt:  dq 0
      dq 0x00cf9a000000ffff
      dq 0x00cf92000000ffff
      dq 0x00cffa000000ffff
      dq 0x00cff2000000ffff
      dq 0
gdtr: dw 6*8-1
      dd gdt
idtr: dw 256*8-1
      dd 0x7000
tss:  times 0x68 db 0
`;

describe("protected mode", () => {
  it("runs a paging kernel with exceptions, TSS stack switch and ring 3", () => {
    const m = runReal(KERNEL);
    const d = (a: number): number => m.memory.ram32[a >>> 2] >>> 0;
    expect(d(0x600)).toBe(0xcafef00d);
    expect(d(0x604)).toBe(0x12345678);
    expect(d(0x60c)).toBe(2); // two page faults
    expect(d(0x608)).toBe(0x50000);
    expect(d(0x614)).toBe(3); // present + write, supervisor
    expect(d(0x618)).toBe(0); // #GP(0) from CLI
    expect(d(0x61c)).toBe(0x1b);
    expect(d(0x620)).toBe(0x42);
    expect(d(0x624)).toBe(0x1b);
    expect(d(0x628)).toBe(0x23);
    expect(d(0x62c)).toBe(0x80000 - 20);
    expect(d(0x630) & 0xffff).toBe(0x10);
    const r = m.cpu.getRegisters();
    expect(r.cpl).toBe(0);
    expect(r.cr2).toBe(0x50000);
    // Accessed/dirty bits were set by the walk.
    expect(m.memory.ram32[(0x21000 + 0x300 * 4) >>> 2] & 0x60).toBe(0x60);
  });
});
