import { describe, expect, it } from "vitest";
import { runFlat32, makeMachine, assemble, enterFlat, FLAT_PRELUDE } from "./harness.ts";
import { CPU } from "../../src/emulator/cpu/cpu.ts";

const CF = 1, ZF = 0x40, SF = 0x80, OF = 0x800;
const d = (m: { memory: { ram32: Int32Array } }, a: number): number => m.memory.ram32[a >>> 2] >>> 0;

describe("32-bit instructions", () => {
  it("CMPXCHG, CMPXCHG8B, XADD, BSWAP", () => {
    const m = runFlat32(`
      mov dword [0x1000], 5
      mov eax, 5
      mov ecx, 9
      lock cmpxchg [0x1000], ecx     ; equal: [0x1000] = 9, ZF=1
      setz [0x2000]
      mov eax, 1
      cmpxchg [0x1000], ecx          ; not equal: eax = 9, ZF=0
      setz [0x2001]
      mov [0x2004], eax
      mov dword [0x1010], 0x11111111
      mov dword [0x1014], 0x22222222
      mov eax, 0x11111111
      mov edx, 0x22222222
      mov ebx, 0xaaaaaaaa
      mov ecx, 0xbbbbbbbb
      lock cmpxchg8b [0x1010]
      setz [0x2002]
      mov eax, 10
      mov dword [0x1020], 32
      lock xadd [0x1020], eax
      mov [0x2008], eax
      mov eax, 0x12345678
      bswap eax
      mov [0x200c], eax
      hlt`);
    expect(m.memory.ram[0x2000]).toBe(1);
    expect(m.memory.ram[0x2001]).toBe(0);
    expect(d(m, 0x2004)).toBe(9);
    expect(m.memory.ram[0x2002]).toBe(1);
    expect(d(m, 0x1010)).toBe(0xaaaaaaaa);
    expect(d(m, 0x1014)).toBe(0xbbbbbbbb);
    expect(d(m, 0x2008)).toBe(32);
    expect(d(m, 0x1020)).toBe(42);
    expect(d(m, 0x200c)).toBe(0x78563412);
  });

  it("bit scans, bit tests with memory offsets, SETcc and CMOVcc", () => {
    const m = runFlat32(`
      mov eax, 0x00f00000
      bsf ecx, eax
      bsr edx, eax
      mov [0x2000], ecx
      mov [0x2004], edx
      mov dword [0x1000], 0
      mov dword [0x1004], 0
      mov eax, 37
      bts [0x1000], eax              ; bit 5 of the dword at 0x1004
      setc [0x2008]
      bt [0x1000], eax
      setc [0x2009]
      mov eax, -1
      btr dword [0x1004], 5
      mov ebx, 1
      mov ecx, 2
      cmp ebx, ecx
      cmovl ebx, ecx                 ; 1 < 2: ebx = 2
      cmovg ecx, eax                 ; not taken
      mov [0x200c], ebx
      mov [0x2010], ecx
      hlt`);
    expect(d(m, 0x2000)).toBe(20);
    expect(d(m, 0x2004)).toBe(23);
    expect(m.memory.ram[0x2008]).toBe(0);
    expect(m.memory.ram[0x2009]).toBe(1);
    expect(d(m, 0x1004)).toBe(0);
    expect(d(m, 0x200c)).toBe(2);
    expect(d(m, 0x2010)).toBe(2);
  });

  it("32-bit MUL/IMUL/IDIV edge cases", () => {
    const m = runFlat32(`
      mov eax, 0xffffffff
      mov ecx, 0xffffffff
      mul ecx                        ; edx:eax = 0xfffffffe_00000001
      mov [0x2000], eax
      mov [0x2004], edx
      mov eax, -7
      mov ecx, 3
      imul ecx                       ; -21
      mov [0x2008], eax
      mov [0x200c], edx
      mov eax, -100
      cdq
      mov ecx, 7
      idiv ecx                       ; -14 rem -2
      mov [0x2010], eax
      mov [0x2014], edx
      mov eax, 0x10000
      imul eax, eax, 0x10000         ; overflow: CF=OF=1
      pushf
      pop dword [0x2018]
      hlt`);
    expect(d(m, 0x2000)).toBe(1);
    expect(d(m, 0x2004)).toBe(0xfffffffe);
    expect(d(m, 0x2008) | 0).toBe(-21);
    expect(d(m, 0x200c)).toBe(0xffffffff);
    expect(d(m, 0x2010) | 0).toBe(-14);
    expect(d(m, 0x2014) | 0).toBe(-2);
    expect(d(m, 0x2018) & (CF | OF)).toBe(CF | OF);
  });

  it("ENTER/LEAVE, PUSHA/POPA, SIB addressing", () => {
    const m = runFlat32(`
      mov ebp, 0x12345678
      enter 16, 0
      mov [0x2000], esp
      mov [0x2004], ebp
      leave
      mov [0x2008], ebp
      mov [0x200c], esp
      mov eax, 1
      mov ecx, 2
      pushad
      mov eax, 0
      mov ecx, 0
      popad
      mov [0x2010], ecx
      mov ebx, 0x1000
      mov esi, 3
      mov dword [0x1000 + 3*8 + 4], 0xfeed
      mov eax, [ebx + esi*8 + 4]
      mov [0x2014], eax
      hlt`);
    expect(d(m, 0x2000)).toBe(0x90000 - 4 - 16);
    expect(d(m, 0x2004)).toBe(0x90000 - 4);
    expect(d(m, 0x2008)).toBe(0x12345678);
    expect(d(m, 0x200c)).toBe(0x90000);
    expect(d(m, 0x2010)).toBe(2);
    expect(d(m, 0x2014)).toBe(0xfeed);
  });

  it("CPUID reports GenuineIntel family 6 with the implemented features", () => {
    const m = runFlat32(`
      xor eax, eax
      cpuid
      mov [0x2000], ebx
      mov [0x2004], edx
      mov [0x2008], ecx
      mov [0x200c], eax
      mov eax, 1
      cpuid
      mov [0x2010], eax
      mov [0x2014], edx
      hlt`);
    const vendor = String.fromCharCode(...m.memory.ram.slice(0x2000, 0x200c));
    expect(vendor).toBe("GenuineIntel");
    expect((d(m, 0x2010) >> 8) & 0xf).toBe(6);
    const f = d(m, 0x2014);
    for (const bit of [0, 3, 4, 5, 6, 8, 9, 11, 13, 15, 23, 24, 25, 26]) expect((f >>> bit) & 1, `feature bit ${bit}`).toBe(1);
    expect((f >>> 1) & 1).toBe(0); // no VME
  });

  it("RDMSR/WRMSR: SYSENTER MSRs, PAT, MTRRs; unknown MSR raises #GP", () => {
    const m = runFlat32(`
      SET_GATE 13, gp
      mov ecx, 0x174
      mov eax, 0x60
      xor edx, edx
      wrmsr
      mov ecx, 0x200
      mov eax, 0x6
      mov edx, 0x1
      wrmsr
      xor eax, eax
      xor edx, edx
      rdmsr
      mov [0x2000], eax
      mov [0x2004], edx
      mov ecx, 0x174
      rdmsr
      mov [0x2008], eax
      mov ecx, 0x12345
      rdmsr
      hlt
    gp:
      mov dword [0x200c], 0x600d
      hlt
    idtr: dw 256*8-1
          dd 0x7000`);
    expect(d(m, 0x2000)).toBe(6);
    expect(d(m, 0x2004)).toBe(1);
    expect(d(m, 0x2008)).toBe(0x60);
    expect(d(m, 0x200c)).toBe(0x600d);
  });

  it("raises #UD for undefined opcodes and an invalid LOCK", () => {
    const m = runFlat32(`
      SET_GATE 6, ud
      lock nop
      db 0xff, 0xf8               ; FF /7: undefined
      hlt
    ud:
      inc dword [0x2000]
      mov eax, [esp]
      mov [0x2004], eax
      cmp dword [0x2000], 2
      je .done
      add dword [esp], 2          ; skip the locked NOP
      iret
    .done:
      hlt
    idtr: dw 256*8-1
          dd 0x7000`);
    expect(d(m, 0x2000)).toBe(2);
  });
});

describe("string instructions", () => {
  it("REP MOVS/STOS across pages, with overlap and in reverse", () => {
    const m = runFlat32(`
      cld
      mov edi, 0x100ff0
      mov eax, 0x11223344
      mov ecx, 1000                  ; crosses into the next page
      rep stosd
      mov byte [0x110000], 0xab
      mov esi, 0x110000
      mov edi, 0x110001
      mov ecx, 100                   ; overlapping forward copy replicates the byte
      rep movsb
      mov esi, 0x100ff0
      mov edi, 0x120ffe
      mov ecx, 1000
      rep movsd
      std
      mov esi, 0x100ff0 + 3
      mov edi, 0x130003
      mov ecx, 4
      rep movsb
      cld
      hlt`);
    expect(d(m, 0x100ff0)).toBe(0x11223344);
    expect(d(m, 0x100ff0 + 999 * 4)).toBe(0x11223344);
    expect(d(m, 0x100ff0 + 1000 * 4)).toBe(0);
    expect(m.memory.ram[0x110000 + 100]).toBe(0xab);
    expect(m.memory.ram[0x110000 + 101]).toBe(0);
    expect(m.memory.ram32.length).toBeGreaterThan(0);
    expect(m.memory.ram[0x120ffe + 3999]).toBe(0x11);
    expect(m.memory.ram[0x120ffe + 4000]).toBe(0);
    expect(d(m, 0x130000)).toBe(0x11223344);
    expect(m.cpu.r32[1]).toBe(0);
  });
});

describe("state", () => {
  it("saves and restores the whole CPU into a fresh one", () => {
    const m = runFlat32(`
      mov eax, 0x11111111
      mov ebx, 0x22222222
      stc
      hlt
      adc eax, ebx
      mov [0x2000], eax
      hlt`);
    const saved = m.cpu.saveState();
    const m2 = makeMachine(4);
    m2.memory.ram.set(m.memory.ram);
    m2.cpu.loadState(saved);
    expect(m2.cpu.getRegisters()).toEqual(m.cpu.getRegisters());
    m2.cpu.halted = false;
    m2.cpu.run(10);
    expect(m2.memory.ram32[0x2000 / 4]).toBe(0x33333334);
    expect(() => m2.cpu.loadState({ ...saved, version: 99 })).toThrow(/version/);
    const bad = { ...saved, fields: { ...saved.fields, regs: new Int32Array(3) } };
    expect(() => m2.cpu.loadState(bad)).toThrow(/regs/);
  });
});

describe("interrupts", () => {
  it("takes external interrupts after STI's shadow, wakes from HLT and acknowledges", () => {
    const m = makeMachine(4);
    const code = assemble(FLAT_PRELUDE + `
      SET_GATE 0x20, irq
      sti
      hlt
      mov dword [0x2004], 1
      cli
      hlt
    irq:
      inc dword [0x2000]
      iret
    idtr: dw 256*8-1
          dd 0x7000`, 32, 0x10000);
    m.memory.writeBytes(0x10000, code);
    const cpu: CPU = m.cpu;
    enterFlat(m, 0x10000);
    let acks = 0;
    cpu.interruptController = { acknowledgeInterrupt: () => { acks++; cpu.setIntrLine(false); return 0x20; } };
    cpu.run(1000);
    expect(cpu.halted).toBe(true);
    expect(m.memory.ram32[0x2000 / 4]).toBe(0);
    cpu.setIntrLine(true);
    cpu.run(1000);
    expect(acks).toBe(1);
    expect(m.memory.ram32[0x2000 / 4]).toBe(1);
    expect(m.memory.ram32[0x2004 / 4]).toBe(1);
    expect(cpu.halted).toBe(true);
  });

  it("single-steps with TF, delivering #DB after each instruction", () => {
    const m = runFlat32(`
      SET_GATE 1, db
      pushfd
      or dword [esp], 0x100
      popfd
      nop
      nop
      pushfd
      and dword [esp], ~0x100
      popfd
      hlt
    db:
      inc dword [0x2000]
      iret
    idtr: dw 256*8-1
          dd 0x7000`);
    // Traps after: nop, nop, pushfd, and, popfd (the popfd that clears TF still traps).
    expect(d(m, 0x2000)).toBe(5);
  });

  it("escalates to a triple fault without an IDT", () => {
    const m = makeMachine(4);
    m.memory.writeBytes(0x10000, assemble(`
      lidt [idtr]
      ud2
    idtr: dw 0
          dd 0`, 32, 0x10000));
    let reason = "";
    m.cpu.onTripleFault = (r) => { reason = r; };
    m.cpu.enterFlatProtectedMode(0x10000, { esp: 0x90000 });
    m.cpu.run(100);
    expect(reason).not.toBe("");
  });
});

describe("conditions", () => {
  it("every Jcc/SETcc agrees with the flag definitions after CMP of many operand pairs", () => {
    // For each pair and size, SETcc 0..15 results are stored; the expected values come from
    // the architectural definitions applied to the operands.
    const pairs = [[0, 0], [1, 2], [2, 1], [0x7f, 0x80], [0x80, 0x7f], [0xff, 1], [0x7fff, 0x8000], [0x80000000, 1], [1, 0x80000000], [0xffffffff, 0xffffffff], [5, 0xfffffffb]];
    let src = "";
    pairs.forEach(([a, b], i) => {
      for (const [size, reg1, reg2] of [[8, "al", "bl"], [16, "ax", "bx"], [32, "eax", "ebx"]] as const) {
        const mask = size === 32 ? 0xffffffff : (1 << size) - 1;
        src += `mov ${reg1}, ${a & mask}\nmov ${reg2}, ${b & mask}\n`;
        for (let cc = 0; cc < 16; cc++) {
          src += `cmp ${reg1}, ${reg2}\nset${["o","no","b","ae","e","ne","be","a","s","ns","p","np","l","ge","le","g"][cc]} [${0x2000 + (i * 3 + Math.log2(size / 8)) * 16 + cc}]\n`;
        }
      }
    });
    const m = runFlat32(src + "hlt");
    pairs.forEach(([a0, b0], i) => {
      for (const size of [8, 16, 32]) {
        const mask = size === 32 ? 0xffffffff : (1 << size) - 1;
        const a = (a0 & mask) >>> 0, b = (b0 & mask) >>> 0;
        const sign = (v: number) => (size === 32 ? v | 0 : (v << (32 - size)) >> (32 - size));
        const res = ((a - b) & mask) >>> 0;
        const cf = a < b, zf = res === 0, sf = ((res >>> (size - 1)) & 1) === 1;
        const of = sign(a) - sign(b) !== sign(res);
        let p = 0; for (let x = res & 0xff; x; x >>= 1) p ^= x & 1;
        const pf = p === 0;
        const base = [of, cf, zf, cf || zf, sf, pf, sf !== of, zf || sf !== of];
        for (let cc = 0; cc < 16; cc++) {
          const want = (cc & 1) ? !base[cc >> 1] : base[cc >> 1];
          expect(m.memory.ram[0x2000 + (i * 3 + Math.log2(size / 8)) * 16 + cc], `cmp ${a},${b} size ${size} cc ${cc}`).toBe(want ? 1 : 0);
        }
      }
    });
  });
});

describe("debug registers", () => {
  it("instruction breakpoints fault before the instruction; data breakpoints trap after the write", () => {
    const m = runFlat32(`
      SET_GATE 1, db
      mov eax, target
      mov dr0, eax
      mov eax, 0x3000
      mov dr1, eax
      mov eax, (1 << 0) | (1 << 2) | (0b0111 << 20)   ; L0 exec; L1 write, 4 bytes
      mov dr7, eax
      nop
    target:
      mov dword [0x3000], 7         ; instruction breakpoint here, then the data breakpoint
      mov dword [0x2000 + 12], 1
      hlt
    db:
      mov eax, dr6
      mov ebx, [0x2010]
      mov [0x2000 + ebx*4], eax     ; record DR6
      mov eax, [esp]
      mov [0x2020 + ebx*4], eax     ; record EIP
      inc dword [0x2010]
      xor eax, eax
      mov dr6, eax
      or dword [esp+8], 0x10000     ; RF: resume without re-hitting the instruction breakpoint
      iret
    `);
    const d = (a: number) => m.memory.ram32[a >>> 2] >>> 0;
    expect(d(0x2010)).toBe(2);
    expect(d(0x2000) & 0xf).toBe(1); // B0
    expect(d(0x2004) & 0xf).toBe(2); // B1
    expect(d(0x2024)).toBe(d(0x2020) + 10); // trap reported after the 10-byte store
    expect(d(0x3000)).toBe(7);
    expect(d(0x200c)).toBe(1);
  });
});

describe("x87/SIMD dispatch", () => {
  it("hands memory operands above 2 GiB to the units as unsigned linear addresses", () => {
    // Paging maps linear 0xC0000000 to physical 0: FXSAVE/FNSTCW there must act on memory.
    const m = runFlat32(`
      SET_GATE 6, ud
      mov edi, 0x200000
      mov ecx, 1024
      xor eax, eax
      rep stosd
      mov dword [0x200000], 0x00000083          ; 0-4 MiB identity (4 MiB page)
      mov dword [0x200000 + 0xc00], 0x00000083  ; 0xC0000000 -> 0
      mov eax, cr4
      or eax, 0x610
      mov cr4, eax
      mov eax, 0x200000
      mov cr3, eax
      mov eax, cr0
      or eax, 0x80000000
      and eax, ~0xc                              ; EM=0, TS=0
      mov cr0, eax
      fninit
      fnstcw [0xc0003000]
      fxsave [0xc0003100]
      mov dword [0x2000], 1
      hlt
    ud:
      mov dword [0x2000], 2
      hlt`);
    expect(m.memory.ram32[0x2000 / 4]).toBe(1);
    expect(m.memory.ram[0x3000] | (m.memory.ram[0x3001] << 8)).toBe(0x037f);
    expect(m.memory.ram[0x3100] | (m.memory.ram[0x3101] << 8)).toBe(0x037f); // FXSAVE FCW
  });
});

describe("self-modifying code", () => {
  it("executes bytes written just before, in the same page, and after external (DMA) writes", () => {
    const m = runFlat32(`
      mov ecx, 3
    again:
      mov byte [patch + 1], 0x42      ; rewrite the immediate of the next MOV
    patch:
      mov al, 0x00
      add [0x2000], al
      loop again
      hlt`);
    expect(m.memory.ram[0x2000]).toBe(0x42 * 3 & 0xff);
    // External write: replace the HLT-terminated program and run it again from the start.
    m.memory.writeBytes(0x10000, new Uint8Array([0xb0, 0x07, 0xa2, 0x00, 0x30, 0x00, 0x00, 0xf4])); // mov al,7; mov [0x3000],al; hlt
    m.cpu.eip = 0x10000;
    m.cpu.halted = false;
    m.cpu.run(10);
    expect(m.memory.ram[0x3000]).toBe(7);
  });
});
