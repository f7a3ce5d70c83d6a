import { describe, expect, it } from "vitest";
import { runReal, text } from "./harness.ts";

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;

describe("real mode basics", () => {
  it("moves, adds and halts", () => {
    const m = runReal(`
      mov ax, 0x1234
      mov bx, 0x1111
      add ax, bx
      mov cx, ax
      hlt`);
    const r = m.cpu.getRegisters();
    expect(r.eax & 0xffff).toBe(0x2345);
    expect(r.ecx & 0xffff).toBe(0x2345);
  });

  it("computes ADD/SUB/CMP flags", () => {
    const flagsAfter = (insn: string): number => {
      const m = runReal(`${insn}\n hlt`);
      return m.cpu.getEflags() & ARITH;
    };
    expect(flagsAfter("mov al, 0xff\n add al, 1")).toBe(CF | ZF | AF | PF);
    expect(flagsAfter("mov al, 0x7f\n add al, 1")).toBe(OF | SF | AF);
    expect(flagsAfter("mov ax, 0\n sub ax, 1")).toBe(CF | SF | AF | PF);
    expect(flagsAfter("mov eax, 0x80000000\n cmp eax, 1")).toBe(OF | AF | PF);
    expect(flagsAfter("mov al, 3\n cmp al, 3")).toBe(ZF | PF);
    expect(flagsAfter("mov al, 0xf0\n and al, 0x0f")).toBe(ZF | PF);
    expect(flagsAfter("stc\n mov al, 1\n adc al, 0xfe")).toBe(CF | ZF | AF | PF);
    expect(flagsAfter("stc\n mov al, 0\n sbb al, 0")).toBe(CF | SF | AF | PF);
    expect(flagsAfter("stc\n mov al, 0x7f\n inc al")).toBe(CF | OF | SF | AF);
    expect(flagsAfter("mov al, 0\n neg al")).toBe(ZF | PF);
    expect(flagsAfter("mov al, 5\n neg al")).toBe(CF | SF | AF);
  });

  it("runs a loop with conditional jumps and memory", () => {
    const m = runReal(`
      xor si, si
      mov cx, 10
      xor ax, ax
    l: add ax, cx
      mov [0x2000+si], al
      inc si
      loop l
      mov bx, [0x2000]
      hlt`);
    expect(m.cpu.r16[0]).toBe(55);
    expect(m.memory.ram[0x2000]).toBe(10);
    expect(m.memory.ram[0x2009]).toBe(55);
  });

  it("pushes, pops, calls and returns", () => {
    const m = runReal(`
      mov ax, 0x1111
      push ax
      push word 0x2222
      pop bx
      pop cx
      call f
      pushf
      pop dx
      hlt
    f: mov di, 0x4444
      ret`);
    expect(m.cpu.r16[3 * 2]).toBe(0x2222);
    expect(m.cpu.r16[1 * 2]).toBe(0x1111);
    expect(m.cpu.r16[7 * 2]).toBe(0x4444);
    expect(m.cpu.r16[4 * 2]).toBe(0x8000);
    expect(m.cpu.r16[2 * 2] & 2).toBe(2);
  });

  it("executes string instructions with REP", () => {
    const m = runReal(`
      mov si, src
      mov di, 0x3000
      mov cx, 5
      cld
      rep movsb
      mov di, 0x3000
      mov al, 'l'
      mov cx, 5
      repne scasb
      mov dx, cx
      mov di, 0x3100
      mov ax, 0xabcd
      mov cx, 3
      rep stosw
      hlt
    src: db "hello"`);
    expect(String.fromCharCode(...m.memory.ram.slice(0x3000, 0x3005))).toBe("hello");
    expect(m.cpu.r16[2 * 2]).toBe(2); // found 'l' at index 2, 2 left
    expect(m.cpu.r16[7 * 2]).toBe(0x3106);
    expect(m.memory.ram[0x3104]).toBe(0xcd);
  });

  it("does port I/O", () => {
    const m = runReal(`
      mov dx, 0xe9
      mov si, msg
    n: lodsb
      test al, al
      jz done
      out dx, al
      jmp n
    done:
      in al, 0x60
      hlt
    msg: db "Hi!", 0`, (mm) => mm.io.register(0x60, 1, { in8: () => 0x5a }, "test"));
    expect(text(m)).toBe("Hi!");
    expect(m.cpu.r8[0]).toBe(0x5a);
  });

  it("multiplies and divides, raising #DE on overflow", () => {
    const m = runReal(`
      mov word [0], de_handler
      mov word [2], 0
      mov ax, 300
      mov bx, 200
      mul bx          ; dx:ax = 60000
      mov si, ax
      mov ax, 0xfff6  ; -10
      mov cl, 3
      idiv cl         ; al = -3, ah = -1
      mov di, ax
      mov eax, 0x12345678
      mov edx, 0x9
      mov ebx, 0x10000
      div ebx         ; eax = 0x91234, edx = 0x5678
      mov ebp, eax
      mov [0x600], edx
      xor dx, dx
      mov ax, 1
      xor cx, cx
      div cx          ; #DE
      hlt
    de_handler:
      mov sp, 0x7000
      mov byte [0x500], 0x77
      hlt`);
    expect(m.cpu.r16[6 * 2]).toBe(60000);
    expect(m.cpu.r16[7 * 2]).toBe(0xfffd);
    expect(m.cpu.r32[5]).toBe(0x91234);
    expect(m.memory.ram32[0x600 / 4]).toBe(0x5678);
    expect(m.memory.ram[0x500]).toBe(0x77);
  });

  it("handles software interrupts through the IVT and IRET", () => {
    const m = runReal(`
      mov word [0x21*4], handler
      mov word [0x21*4+2], 0
      mov ax, 1
      int 0x21
      add ax, 0x100
      hlt
    handler:
      add ax, 0x10
      iret`);
    expect(m.cpu.r16[0]).toBe(0x111);
    expect(m.cpu.r16[4 * 2]).toBe(0x8000);
  });

  it("shifts and rotates", () => {
    const m = runReal(`
      mov al, 0x81
      rol al, 1       ; 0x03, CF=1
      mov [0x600], al
      mov ax, 0x8000
      sar ax, 15      ; 0xffff
      mov cx, ax
      mov eax, 0x12345678
      shr eax, 4
      mov edx, eax
      mov eax, 0x80000001
      stc
      rcr eax, 1       ; 0xc0000000, CF=1
      mov esi, eax
      mov eax, 0x11112222
      mov ebx, 0x33334444
      shld eax, ebx, 16
      mov edi, eax
      hlt`);
    expect(m.memory.ram[0x600]).toBe(3);
    expect(m.cpu.r16[2]).toBe(0xffff);
    expect(m.cpu.r32[2]).toBe(0x01234567);
    expect(m.cpu.r32[6] >>> 0).toBe(0xc0000000);
    expect(m.cpu.r32[7] >>> 0).toBe(0x22223333);
    expect(m.cpu.getEflags() & CF).toBe(CF); // SHLD by 16: the last bit shifted out is bit 16 of 0x11112222
  });
});
