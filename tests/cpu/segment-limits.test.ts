// Segment limit and expand-down checks on data accesses (SDM vol. 3A 5.3, and each instruction's
// exception list): an operand not wholly inside its segment's valid offsets faults with #GP(0), or
// #SS(0) for SS, before anything is written; expand-down segments run from limit+1 to 0xFFFF (B=0)
// or 0xFFFFFFFF (B=1); a null data selector faults on use; real mode checks the cached limit
// (0xFFFF, or 4 GiB in "unreal mode"). Each program runs in the interpreter, with the block
// compiler compiling every block, and in the default mode. QEMU 7.2 (TCG) does not check segment
// limits, so these facts are not in the differential suite's compared programs; the KVM-checked
// program tests/diff/qemu-divergent/seg-limits-faults.asm covers them on hardware.

import { describe, expect, it } from "vitest";
import { assemble, enterFlat, runUntilHalt } from "./harness.ts";
import { BASE16, BASE32, GDT, GDT_LIMIT, MARK, MODES, machine, mark, ram, ram32, run16, run32 } from "./pm-harness.ts";

describe.each(MODES)("segment limits ($name)", ({ options }) => {
  it("expand-up: byte, word and dword at the limit pass; past it #GP(0) at the instruction, nothing written", () => {
    const pass = run32(options, `${MARK}
      mov ax, 0x3b
      mov ds, ax
      mov byte [0xfff], 0x11
      mov word [0xffe], 0x2222
      mov dword [0xffc], 0x33333333
      mov eax, [0xffc]
      hlt`);
    expect(pass.o.vector).toBe(null);
    expect(ram32(pass.m, 0x200ffc)).toBe(0x33333333);
    expect(pass.m.cpu.r32[0] >>> 0).toBe(0x33333333);

    for (const [insn, size] of [["mov byte [0x1000], 0x44", 1], ["mov word [0xfff], 0x4444", 2], ["mov dword [0xffd], 0x44444444", 4], ["add dword [0xffe], 1", 4]] as const) {
      const r = run32(options, `${MARK}
        mov ax, 0x18
        mov fs, ax
        mov ax, 0x3b
        mov ds, ax
        mov dword [fs:0x200ffc], 0x55555555
        mov dword [fs:0x201000], 0x66666666
        mark 0
        ${insn}
        hlt`);
      expect(r.o, insn).toMatchObject({ vector: 13, errorCode: 0, eip: mark(r.m, 0) });
      expect(ram32(r.m, 0x200ffc), insn).toBe(0x55555555);
      expect(ram32(r.m, 0x201000), insn).toBe(0x66666666);
      void size;
    }
  });

  it("reads past the limit fault too, including 16-bit operands, moffs, XLAT and far pointers", () => {
    const cases: [string, string][] = [["", "mov ax, [0xfff]"], ["", "mov eax, [dword 0xffe]"], ["", "movzx eax, word [0xfff]"],
      ["", "mov eax, [ds:0x1000]"], ["mov ebx, 0xfff", "xlatb"], ["", "lds eax, [0xffc]"], ["", "les ax, [0xffd]"],
      ["", "cmp byte [0x1000], 0"], ["", "bt dword [0xffe], 0"], ["mov ebx, 0xffc\n mov ecx, 32", "bt [ebx], ecx"],
      ["", "push dword [0xffd]"], ["", "bound eax, [0xffa]"], ["", "cmpxchg8b [0xff9]"], ["", "inc word [0xfff]"],
      ["", "jmp far [0xffb]"], ["", "sgdt [0xffb]"], ["", "xchg eax, [0xffd]"], ["mov ecx, 3", "rep lodsd"]];
    for (const [before, insn] of cases) {
      const r = run32(options, `${MARK}
        mov ax, 0x18
        mov fs, ax
        mov ax, 0x3b
        mov ds, ax
        mov esi, 0xff8
        ${before}
        mark 0
        ${insn}
        hlt`);
      expect(r.o, insn).toMatchObject({ vector: 13, errorCode: 0, eip: mark(r.m, 0) });
    }
  });

  it("a null data selector in protected mode faults on use with #GP(0)", () => {
    const r = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      xor eax, eax
      mov gs, ax
      mark 0
      mov eax, [gs:0x100]
      hlt`);
    expect(r.o).toMatchObject({ vector: 13, errorCode: 0, eip: mark(r.m, 0) });
  });

  it("SS: [ebp+x] defaults to SS and faults with #SS(0); a DS override makes it #GP(0)", () => {
    const ss = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      RING3 0x53, 0x800
      mov ax, 0x2b
      mov fs, ax
      mov ds, ax
      mov ebp, 0xff0
      mov eax, [ebp + 0xc]
      mark 0
      mov eax, [ebp + 0xd]
      hlt`);
    expect(ss.o).toMatchObject({ vector: 12, errorCode: 0, eip: mark(ss.m, 0), esp: 0x800 });
    const gp = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      mov ax, 0x3b
      mov ds, ax
      mov ebp, 0xff0
      mark 0
      mov eax, [ds:ebp + 0x10]
      hlt`);
    expect(gp.o).toMatchObject({ vector: 13, errorCode: 0, eip: mark(gp.m, 0) });
    const ov = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      RING3 0x53, 0x800
      mov ax, 0x2b
      mov fs, ax
      mov ebx, 0xffe
      mark 0
      mov eax, [ss:ebx]
      hlt`);
    expect(ov.o).toMatchObject({ vector: 12, errorCode: 0, eip: mark(ov.m, 0) });
  });

  it("push and pop at the stack limit: #SS(0), ESP unchanged", () => {
    // Expand-down stack (offsets 0x1000..): the second push would write below 0x1000.
    const push = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      RING3 0x5b, 0x1008
      mov ax, 0x2b
      mov fs, ax
      push eax
      push eax
      mark 0
      push eax
      hlt`);
    expect(push.o).toMatchObject({ vector: 12, errorCode: 0, eip: mark(push.m, 0), esp: 0x1000 });
    // Expand-up stack with limit 0xFFF: popping the dword at 0xFFE reads past it.
    const pop = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      RING3 0x53, 0xffa
      mov ax, 0x2b
      mov fs, ax
      pop eax
      mark 0
      pop eax
      hlt`);
    expect(pop.o).toMatchObject({ vector: 12, errorCode: 0, eip: mark(pop.m, 0), esp: 0xffe });
    // CALL, PUSHAD and ENTER check the whole frame first.
    for (const insn of ["call $", "pushad", "enter 0, 0", "enter 4, 0", "push word 1\n push eax"]) {
      const r = run32(options, `${MARK}
        mov ax, 0x18
        mov fs, ax
        RING3 0x5b, 0x1002
        mov ax, 0x2b
        mov fs, ax
        mark 0
        ${insn}
        hlt`);
      expect(r.o, insn).toMatchObject({ vector: 12, errorCode: 0 });
      if (!insn.includes("\n")) expect(r.o, insn).toMatchObject({ eip: mark(r.m, 0), esp: 0x1002 });
    }
    // ENTER's new ESP below an expand-down stack's limit is #SS even with room for the pushes.
    const enter = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      RING3 0x5b, 0x1010
      mov ax, 0x2b
      mov fs, ax
      mark 0
      enter 0x10, 0
      hlt`);
    expect(enter.o).toMatchObject({ vector: 12, errorCode: 0, eip: mark(enter.m, 0), esp: 0x1010 });
  });

  it("expand-down 16-bit (B=0): offsets limit+1..0xFFFF", () => {
    const ok = run32(options, `
      mov ax, 0x40
      mov ds, ax
      mov dword [0x1000], 0x12345678
      mov byte [0xffff], 0x9a
      mov word [0xfffe], 0xbcbc
      mov eax, [0x1000]
      hlt`);
    expect(ok.o.vector).toBe(null);
    expect(ram32(ok.m, 0x301000)).toBe(0x12345678);
    expect(ram(ok.m, 0x30ffff)).toBe(0xbc);
    for (const insn of ["mov al, [0xfff]", "mov eax, [0xffe]", "mov ax, [0xffff]", "mov al, [0x10000]", "mov al, [0]"]) {
      const r = run32(options, `${MARK}
        mov ax, 0x18
        mov fs, ax
        mov ax, 0x40
        mov ds, ax
        mark 0
        ${insn}
        hlt`);
      expect(r.o, insn).toMatchObject({ vector: 13, errorCode: 0, eip: mark(r.m, 0) });
    }
  });

  it("expand-down 32-bit (B=1, G=1): offsets limit+1..0xFFFFFFFF", () => {
    const ok = run32(options, `
      mov ax, 0x48
      mov es, ax
      mov dword [es:0xfffffffc], 0x11223344
      mov dword [es:0xfffff000], 0x55667788
      mov eax, [es:0xfffffffc]
      hlt`);
    expect(ok.o.vector).toBe(null);
    expect(ram32(ok.m, 0x3ffffc)).toBe(0x11223344); // base 0x400000 + 0xfffffffc wraps
    expect(ram32(ok.m, 0x3ff000)).toBe(0x55667788);
    // A dword at 0xFFFFFFFE runs past the top: implementation-specific (SDM 5.3); it wraps, as on
    // the AMD host the diff suite's --kvm mode ran on.
    const wrap = run32(options, `
      mov ax, 0x48
      mov es, ax
      mov dword [es:0xfffffffe], 0x99aabbcc
      hlt`);
    expect(wrap.o.vector).toBe(null);
    expect(ram32(wrap.m, 0x3ffffc) >>> 16).toBe(0xbbcc);
    for (const insn of ["mov al, [es:0xffffefff]", "mov eax, [es:0xffffeffe]", "mov al, [es:0]"]) {
      const r = run32(options, `${MARK}
        mov ax, 0x18
        mov fs, ax
        mov ax, 0x48
        mov es, ax
        mark 0
        ${insn}
        hlt`);
      expect(r.o, insn).toMatchObject({ vector: 13, errorCode: 0, eip: mark(r.m, 0) });
    }
  });

  it("REP MOVSB/STOSD across the limit: the elements inside are done, the fault leaves the registers of the last one", () => {
    // Destination ES limited (bulk-copy path), then the source DS limited (per-element path).
    const dst = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      mov ax, 0x3b
      mov es, ax
      mov dword [fs:0x201000], 0x77777777
      mov esi, 0x100000
      mov edi, 0x10
      mov ecx, 0x2000
      cld
      mark 0
      rep movsb
      hlt`, (m) => m.memory.ram.fill(0xa5, 0x100000, 0x102000));
    expect(dst.o).toMatchObject({ vector: 13, errorCode: 0, eip: mark(dst.m, 0) });
    const c = dst.m.cpu;
    expect([c.r32[6] >>> 0, c.r32[7] >>> 0, c.r32[1] >>> 0]).toEqual([0x100ff0, 0x1000, 0x2000 - 0xff0]);
    expect(ram(dst.m, 0x200fff)).toBe(0xa5);
    expect(ram32(dst.m, 0x201000)).toBe(0x77777777);

    const src = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      mov es, ax
      mov ax, 0x3b
      mov ds, ax
      mov esi, 0xff0
      mov edi, 0x100000
      mov ecx, 0x20
      mark 0
      rep movsw
      hlt`);
    expect(src.o).toMatchObject({ vector: 13, errorCode: 0, eip: mark(src.m, 0) });
    expect([src.m.cpu.r32[6] >>> 0, src.m.cpu.r32[7] >>> 0, src.m.cpu.r32[1] >>> 0]).toEqual([0x1000, 0x100010, 0x18]);

    const stos = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      mov ax, 0x3b
      mov es, ax
      mov eax, 0x99999999
      mov edi, 0xff2
      mov ecx, 8
      mark 0
      rep stosd
      hlt`);
    expect(stos.o).toMatchObject({ vector: 13, errorCode: 0, eip: mark(stos.m, 0) });
    expect([stos.m.cpu.r32[7] >>> 0, stos.m.cpu.r32[1] >>> 0]).toEqual([0xffe, 5]);
    expect(ram32(stos.m, 0x200ffa)).toBe(0x99999999);
    expect(ram(stos.m, 0x200ffe)).toBe(0);

    // Backwards (DF=1) through an expand-down segment's lower bound.
    const down = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      mov ax, 0x40
      mov es, ax
      mov al, 0x42
      mov edi, 0x1003
      mov ecx, 10
      std
      mark 0
      rep stosb
      hlt`);
    expect(down.o).toMatchObject({ vector: 13, errorCode: 0, eip: mark(down.m, 0) });
    expect([down.m.cpu.r32[7] >>> 0, down.m.cpu.r32[1] >>> 0]).toEqual([0xfff, 6]);
    expect(ram32(down.m, 0x301000)).toBe(0x42424242);
  });

  it("FXSAVE, FNSAVE and FSTP m64 crossing the limit: #GP(0), nothing written", () => {
    const fx = (insn: string, at: number, fill = true) => run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      mov eax, cr4
      or eax, 0x200
      mov cr4, eax
      fninit
      fldpi
      mov ax, 0x3b
      mov ds, ax
      mark 0
      ${insn} [${at}]
      hlt`, (m) => { if (fill) m.memory.ram.fill(0xee, 0x200000, 0x201000); });
    const fits = fx("fxsave", 0xe00);
    expect(fits.o.vector).toBe(null);
    expect(ram32(fits.m, 0x200e00) & 0xffff).toBe(0x037f); // FCW
    for (const [insn, at] of [["fxsave", 0xe10], ["fxrstor", 0xe10], ["fnsave", 0xf95], ["frstor", 0xf95], ["fnstenv", 0xfe5], ["fstp qword", 0xff9], ["fistp qword", 0xffc]] as const) {
      const r = fx(insn, at);
      expect(r.o, insn).toMatchObject({ vector: 13, errorCode: 0, eip: mark(r.m, 0) });
      for (let a = 0x200000 + at; a < 0x201000; a++) if (ram(r.m, a) !== 0xee) throw new Error(`${insn}: byte at ${a.toString(16)} written`);
    }
    expect(fx("fnsave", 0xf94).o.vector).toBe(null);
  });

  it("compiled code that ran with a flat segment falls back to checks once the segment is limited", () => {
    const r = run32(options, `${MARK}
      mov ax, 0x18
      mov fs, ax
      mov ecx, 10000
      mov ebx, 0x200ffe
    .warm:
      call access
      loop .warm
      mov ax, 0x3b
      mov ds, ax
      mov ebx, 0xffc
      call access                     ; inside the limit
      mov ebx, 0xffe
      call access                     ; past it
      hlt
    access:
      mark 0
      mov eax, [ebx]
      mov [ebx], eax
      ret`);
    expect(r.o).toMatchObject({ vector: 13, errorCode: 0, eip: mark(r.m, 0) });
    expect(r.m.cpu.r32[1]).toBe(0); // the warm-up loop ran to the end
  });

  it("segment checks survive saveState/loadState", () => {
    const m = machine(options);
    enterFlat(m, BASE32);
    const c = m.cpu;
    c.gdtBase = GDT;
    c.gdtLimit = GDT_LIMIT;
    m.memory.writeBytes(BASE32, assemble("mov ax, 0x3b\n mov ds, ax\n hlt", 32, BASE32));
    runUntilHalt(m, 100);
    const m2 = machine(options);
    m2.cpu.loadState(c.saveState());
    expect(m2.cpu.segCheck[3]).toBe(1);
    expect([m2.cpu.segLo[3], m2.cpu.segHi[3]]).toEqual([0, 0xfff]);
  });
});

describe.each(MODES)("real mode limits ($name)", ({ options }) => {
  it("a word at offset 0xFFFF is #GP (no wrap to offset 0); bytes at 0xFFFF and words at 0xFFFE pass", () => {
    const ok = run16(options, `
      mov byte [0xffff], 0x12
      mov word [0xfffe], 0x3456
      mov al, [0xffff]
      hlt`);
    expect(ok.o.vector).toBe(null);
    expect(ok.m.cpu.r8[0]).toBe(0x34);
    for (const insn of ["mov ax, [0xffff]", "mov word [0xffff], 1", "mov eax, [0xfffd]", "mov bx, 0xffff\n mov ax, [bx]", "mov al, [dword 0x10000]"]) {
      const r = run16(options, `
        mov word [0], 0x5555
        ${insn}
        hlt`);
      expect(r.o, insn).toMatchObject({ vector: 13 });
      expect(r.m.memory.ram16[0], insn).toBe(0x5555);
    }
  });

  it("stack words at SS:0xFFFF are #SS; SP wrapping from 0 to 0xFFFE is fine", () => {
    const ok = run16(options, `
      mov sp, 0
      push word 0x1234
      hlt`);
    expect(ok.o.vector).toBe(null);
    expect(ok.m.memory.ram16[0xfffe >>> 1]).toBe(0x1234);
    const pop = run16(options, `
      mov sp, 0xffff
      pop ax
      hlt`);
    expect(pop.o).toMatchObject({ vector: 12, esp: 0xffff });
    const bp = run16(options, `
      mov bp, 0xffff
      mov ax, [bp]
      hlt`);
    expect(bp.o).toMatchObject({ vector: 12 });
    // A push at SP=1 (the #SS frame would fault the same way, so the fault is looked at directly).
    const m = machine(options);
    m.memory.writeBytes(BASE16, assemble("push ax", 16, BASE16));
    const c = m.cpu;
    for (const s of [0, 1, 2, 3, 4, 5]) c.loadSegmentReal(s, 0);
    c.eip = BASE16;
    c.r32[4] = 1;
    expect(() => c.step()).toThrow();
    expect([c.fault.vector, c.r32[4]]).toEqual([12, 1]);
    expect(m.memory.ram[0xffff]).toBe(0);
  });

  it("unreal mode: a 4 GiB limit loaded in protected mode survives the return to real mode", () => {
    const r = run16(options, `
      PM16_ENTER
      mov ax, 0x18                    ; flat 4 GiB data
      mov ds, ax
      mov ax, 0x68                    ; 16-bit data, limit 0xFFFF
      mov es, ax
      PM16_LEAVE
      xor ax, ax
      mov ds, ax                      ; real-mode loads keep the cached limit
      mov es, ax
      mov dword [dword 0x300000], 0xc0ffee
      mov ebx, [dword 0x300000]
      mov ecx, [es:dword 0x300000]    ; #GP: ES has a 64 KiB limit
      hlt`);
    expect(r.m.memory.ram32[0x300000 >>> 2]).toBe(0xc0ffee);
    expect(r.m.cpu.r32[3]).toBe(0xc0ffee);
    expect(r.o.vector).toBe(13);
    expect(r.m.cpu.segCheck[3]).toBe(0);
  });
});
