// Type, limit and privilege checks and debug features of the CPU, each against the SDM (vol. 3A):
// segment types on data accesses (5.4, 5.5), the CS limit on fetches and branch targets (5.3),
// EFLAGS.RF (17.3.1.1), I/O breakpoints (17.2.4), and the alignment check #AC (6.15). Every program
// runs in the interpreter, with the block compiler compiling every block, and in the default mode.
// The differential suite compares what QEMU 7.2 models (programs/cs-limit.asm,
// programs/debug-io-rf.asm) and checks the rest against the host CPU where its nested KVM allows
// (qemu-divergent/seg-types-faults.asm, qemu-divergent/cs-limit-faults.asm); what neither covers
// (far transfers beyond a limit, RF in fault images, RF and REP strings, #AC) is only here.

import { describe, expect, it } from "vitest";
import { BASE16, BASE32, MARK, MODES, mark, ram, ram32, run16, run32 } from "./pm-harness.ts";
import type { TestMachine } from "./harness.ts";
import type { CpuInterruptController } from "../../src/emulator/device.ts";

const RF = 0x10000;
const PATTERN = 0xa5a5a5a5;
const fill = (m: TestMachine) => m.memory.ram32.fill(PATTERN, 0x200000 >>> 2, 0x201000 >>> 2);

// Selectors of pm-harness.ts SEGMENTS: RO read-only data (DPL 3), XO execute-only code, CLIM code
// with base BASE32 and limit 0xFFF, ROLIM read-only data with a limit (DPL 0); flat code/data.
const RO = 0x73, XO = 0x78, CLIM = 0x80, ROLIM = 0x88, FLAT_CODE = 0x10, FLAT_DATA = 0x18;

describe.each(MODES)("segment types ($name)", ({ options }) => {
  /** Runs `insn` with DS and ES read-only (FS flat, known registers and flags); returns the run. */
  const throughReadOnly = (insn: string) => run32(options, `${MARK}
    mov ax, ${FLAT_DATA}
    mov fs, ax
    fninit
    fld1
    push dword 0x12345678
    mov ax, ${RO}
    mov ds, ax
    mov es, ax
    mov eax, 0x01010101
    mov ecx, 0x02020202
    mov edx, 0x0303
    mov ebx, 0
    mov esi, 0x200000
    mov edi, 0x200000
    cmp esp, esp                      ; ZF=1 PF=1, the other arithmetic flags 0
    mark 0
    ${insn}
    hlt`, fill);

  it.each([
    "mov dword [0x200000], 1", "mov byte [0x200000], al", "mov [0x200000], eax", "mov [0x200000], ax",
    "mov word [edi], 7", "mov [0x200000], cs", "add dword [0x200000], 1", "adc [0x200000], ecx", "inc word [0x200000]",
    "neg byte [0x200000]", "not dword [0x200000]", "shl dword [0x200000], 1", "rol byte [0x200000], cl", "shld [0x200000], ecx, 3",
    "xchg [0x200000], eax", "xadd [0x200000], ecx", "cmpxchg [0x200000], ecx", "cmpxchg8b [0x200000]", "bts dword [0x200000], 3",
    "btr [0x200000], ecx", "btc word [0x200000], dx", "setz byte [0x200000]", "pop dword [0x200000]", "stosd", "rep stosb", "movsw",
    "sgdt [0x200000]", "fstp dword [0x200000]", "fnstcw [0x200000]", "fistp qword [0x200000]", "lock or [0x200000], ecx",
    "mov ecx, 0\n cmp esp, esp\n mark 0\n shl dword [0x200000], cl", "mov ecx, 3\n mov esi, 0x100\n cmp esp, esp\n mark 0\n rep movsd",
  ])("a write through a read-only data segment is #GP(0) before any effect: %s", (insn) => {
    const { m, o } = throughReadOnly(insn);
    expect(o).toMatchObject({ vector: 13, errorCode: 0, eip: mark(m, 0), esp: 0x90000 - 4, cs: FLAT_CODE });
    expect(o.eflags & 0x8d5).toBe(0x44); // the flags as before the instruction
    const r = m.cpu.r32;
    const ecx = insn.includes("mov ecx, 0") ? 0 : insn.includes("mov ecx, 3") ? 3 : 0x02020202;
    const esi = insn.includes("mov esi, 0x100") ? 0x100 : 0x200000;
    expect([r[0], r[1], r[2], r[3], r[6], r[7]]).toEqual([0x01010101, ecx, 0x303, 0, esi, 0x200000]);
    for (let a = 0x200000; a < 0x200010; a += 4) expect(ram32(m, a), insn).toBe(PATTERN);
  });

  it("reads through a read-only data segment work", () => {
    const { m, o } = throughReadOnly(`
      mov eax, [0x200000]
      add eax, [esi + 4]
      movzx ebx, byte [0x200001]
      cmp dword [0x200000], 0
      bt dword [0x200000], 5
      lodsd
      cmpsd
      push dword [0x200008]
      pop edx
      fld dword [0x200000]`);
    expect(o.vector).toBe(null);
    expect([m.cpu.r32[0] >>> 0, m.cpu.r32[3], m.cpu.r32[2] >>> 0]).toEqual([PATTERN, 0xa5, PATTERN]);
    expect(mark(m, 0)).toBeGreaterThan(0);
  });

  it("CS: writes through a CS override fault, reads need a readable segment", () => {
    const cases: [string, number | null][] = [
      ["mov [cs:0x200000], eax", 13],
      ["mov eax, [cs:0x200000]", null], // readable code
      ["add byte [cs:0x200000], 1", 13],
      ["cs rep stosb", null], // (STOS writes ES:EDI: the override is on the source only)
      [`jmp ${XO}:.x\n .x:\n mov eax, [cs:0x200000]`, 13], // execute-only code
      [`jmp ${XO}:.x\n .x:\n mov esi, 0x200000\n cs lodsb`, 13],
      [`jmp ${XO}:.x\n .x:\n mov eax, [0x200000]\n jmp ${FLAT_CODE}:.y\n .y:`, null], // runs; DS reads are fine
      [`mov ax, ${FLAT_CODE}\n mov es, ax\n mov eax, [es:0x200000]`, null], // readable code in ES
      [`mov ax, ${FLAT_CODE}\n mov es, ax\n mov edi, 0x200000\n stosd`, 13], // ... is not writable
    ];
    for (const [code, vector] of cases) {
      const { m, o } = run32(options, `${MARK}
        mov ax, ${FLAT_DATA}
        mov fs, ax
        mov ecx, 0
        ${code}
        hlt`, fill);
      expect(o.vector, code).toBe(vector);
      if (vector !== null) expect(o.errorCode, code).toBe(0);
      expect(ram32(m, 0x200000), code).toBe(PATTERN);
    }
  });

  it("loads: SS must be writable data, DS..GS data or readable code (#GP(selector))", () => {
    const cases: [string, number | null, number][] = [
      [`mov ax, ${ROLIM}\n mov ss, ax`, 13, ROLIM],
      [`mov ax, ${FLAT_CODE}\n mov ss, ax`, 13, FLAT_CODE],
      [`mov ax, ${XO}\n mov ds, ax`, 13, XO],
      [`mov dword [0x5e0], 0\n mov word [0x5e4], ${XO}\n lgs eax, [0x5e0]`, 13, XO],
      [`mov ax, ${FLAT_CODE}\n mov gs, ax`, null, 0],
      [`mov ax, ${ROLIM}\n mov ds, ax\n mov eax, [0xffc]`, null, 0],
      [`mov ax, ${ROLIM}\n mov ds, ax\n mov eax, [0xffe]`, 13, 0], // the limit still applies
    ];
    for (const [code, vector, err] of cases) {
      const { o } = run32(options, `${code}\n hlt`);
      expect(o.vector, code).toBe(vector);
      if (vector !== null) expect(o.errorCode, code).toBe(err);
    }
  });

  it("compiled code that wrote through a writable DS does not run once DS is read-only", () => {
    const { m, o } = run32(options, `${MARK}
      mov ax, ${FLAT_DATA}
      mov fs, ax
      mov ecx, 10000
      mov ebx, 0x200000
    .warm:
      call access
      loop .warm
      mov ax, ${RO}
      mov ds, ax
      call access
      hlt
    access:
      mov eax, [ebx]
      mark 0
      mov [ebx + 4], eax
      ret`, fill);
    expect(o).toMatchObject({ vector: 13, errorCode: 0, eip: mark(m, 0) });
    expect(m.cpu.r32[1]).toBe(0);
  });

  it("types restrict accesses in protected mode only: real mode writes through a read-only cache and CS", () => {
    const { m, o } = run16(options, `
      PM16_ENTER
      mov ax, ${ROLIM & ~3}
      mov es, ax                      ; read-only data, base 0x200000
      PM16_LEAVE
      mov word [es:0x10], 0x1111      ; the cached type is not checked in real mode
      mov word [cs:0x6000], 0x2222
      hlt`);
    expect(o.vector).toBe(null);
    expect(m.memory.ram16[0x200010 >>> 1]).toBe(0x1111);
    expect(m.memory.ram16[0x6000 >>> 1]).toBe(0x2222);
  });

  it("flat protected mode leaves only CS checked (writes through it fault); the ranges survive saveState/loadState", () => {
    const { m } = run32(options, `mov ax, ${RO}\n mov ds, ax\n hlt`);
    const c = m.cpu;
    expect(c.segCheckMask).toBe((1 << 1) | (1 << 3)); // CS, and DS (read-only)
    expect([c.segWLo[1], c.segWHi[1]]).toEqual([1, 0]);
    const m2 = run32(options, "hlt").m;
    m2.cpu.loadState(c.saveState());
    expect([m2.cpu.segCheck[3], m2.cpu.segLo[3], m2.cpu.segHi[3], m2.cpu.segWLo[3], m2.cpu.segWHi[3]]).toEqual([1, 0, 0xffffffff, 1, 0]);
  });
});

describe.each(MODES)("CS limit ($name)", ({ options }) => {
  // Code in CLIM (base BASE32, limit 0xFFF) at offset `at`: `code` there, entered by a far JMP.
  const inClim = (at: number, code: string, before = "") => run32(options, `
    mov ax, ${FLAT_DATA}
    mov fs, ax
    mov ecx, 0x33
    ${before}
    jmp ${CLIM}:${at}
    times ${at}-($-$$) db 0x90
    ${code}`);

  it("an instruction beyond the limit, or straddling it, is #GP(0) at that instruction", () => {
    const end = inClim(0xffe, "nop\n nop\n nop");
    expect(end.o).toMatchObject({ vector: 13, errorCode: 0, eip: 0x1000, cs: CLIM });
    const straddle = inClim(0xffd, "mov eax, 0x12345678\n hlt");
    expect(straddle.o).toMatchObject({ vector: 13, errorCode: 0, eip: 0xffd, cs: CLIM });
    expect(straddle.m.cpu.r32[0]).not.toBe(0x12345678);
    // hot code up to the limit first (compiled blocks must stop there too)
    const hot = inClim(0xf00, `
      mov edx, 3000
    .l:
      add eax, edx
      dec edx
      jnz .l
      jmp near $$ + 0xfff
      times 0xfff-($-$$) db 0x90
      nop`);
    expect(hot.o).toMatchObject({ vector: 13, errorCode: 0, eip: 0x1000 });
    expect(hot.m.cpu.r32[2]).toBe(0);
  });

  it.each([
    ["jmp", "jmp near $$ + 0x1000", 0x90000],
    ["jmp short", "jmp short $ + 0x7f", 0x90000],
    ["jcc taken", "cmp ecx, 0x33\n je near $$ + 0x1004", 0x90000],
    ["call", "call $$ + 0x2000", 0x90000],
    ["ret", "push dword 0x1000\n ret", 0x90000 - 4],
    ["ret imm", "push dword 0x1000\n ret 8", 0x90000 - 4],
    ["jmp reg", "mov ebx, 0x1001\n jmp ebx", 0x90000],
    ["call mem", "mov dword [fs:0x5e0], 0x1800\n call [fs:0x5e0]", 0x90000],
    ["loop", "loop $ + 0x7f", 0x90000],
    ["jecxz", "mov ecx, 0\n jecxz $ + 0x7f", 0x90000],
  ])("a near transfer beyond the limit is #GP(0) at the transfer, before it changes anything: %s", (_name, code, esp) => {
    const { m, o } = inClim(0xf90, `${code}\n hlt`);
    expect(o).toMatchObject({ vector: 13, errorCode: 0, cs: CLIM, esp });
    expect(o.eip).toBeGreaterThanOrEqual(0xf90);
    expect(o.eip).toBeLessThan(0x1000);
    if (code.startsWith("loop")) expect(m.cpu.r32[1]).toBe(0x33);
  });

  it("compiled RET to beyond the limit faults at the RET", () => {
    const { o } = inClim(0x100, `
      mov edx, 3000
    .l:
      call .f
      dec edx
      jnz .l
      push dword 0x1000
    .r:
      ret
    .f:
      ret`);
    expect(o).toMatchObject({ vector: 13, errorCode: 0, cs: CLIM, esp: 0x90000 - 4 });
  });

  it.each([
    ["far jmp", `jmp ${CLIM}:0x1000`, 0x90000],
    ["far jmp m16:32", `mov dword [0x5e0], 0x1000\n mov word [0x5e4], ${CLIM}\n jmp far [0x5e0]`, 0x90000],
    ["far call", `call ${CLIM}:0x1000`, 0x90000],
    ["retf", `push dword ${CLIM}\n push dword 0x1000\n retf`, 0x90000 - 8],
    ["iretd", `pushfd\n push dword ${CLIM}\n push dword 0x1000\n iretd`, 0x90000 - 12],
    ["int through a gate", `mov dword [0x7000 + 0x40 * 8], ${CLIM << 16}\n mov dword [0x7000 + 0x40 * 8 + 4], 0x8e00 | 0x10000\n int 0x40`, 0x90000],
  ])("a far transfer to an offset beyond the new CS limit is #GP(0) at the transfer: %s", (_name, code, esp) => {
    const { m, o } = run32(options, `${MARK}
      mov ax, ${FLAT_DATA}
      mov fs, ax
      mark 0
      ${code.replace(/\n/g, "\n mark 0\n")}
      hlt`);
    expect(o).toMatchObject({ vector: 13, errorCode: 0, cs: FLAT_CODE, esp, eip: mark(m, 0) });
  });

  it("real mode: an instruction past offset 0xFFFF is #GP", () => {
    const { o } = run16(options, `
      mov byte [0xfffe], 0xb8         ; mov ax, imm16 at 0xFFFE: its last byte at 0x10000
      jmp 0:0xfffe`);
    expect(o).toMatchObject({ vector: 13, eip: 0xfffe });
  });
});

describe.each(MODES)("RF ($name)", ({ options }) => {
  it.each([
    { name: "#GP", code: "mov ax, 0x1234\n mov ds, ax", vector: 13, rf: RF },
    { name: "#UD", code: "ud2", vector: 6, rf: RF },
    { name: "#DE", code: "xor ecx, ecx\n div ecx", vector: 0, rf: RF },
    { name: "#PF", code: "mov eax, cr0\n or eax, 0x80000000\n mov cr3, ebx\n mov cr0, eax\n mov eax, [0x400000]", vector: 14, rf: RF },
    { name: "INT3", code: "int3", vector: 3, rf: 0 },
    { name: "INT n", code: "int 0x1f", vector: 31, rf: 0 },
    { name: "#DB (instruction breakpoint)", code: "BREAK_ON .bp\n nop\n .bp:\n nop", vector: 1, rf: 0 },
  ])("the EFLAGS image of $name has RF = $rf", ({ code, vector, rf }) => {
    const { o } = run32(options, `${code}\n hlt`, (m) => {
      // an identity map of the first 4 MiB for the #PF case (page directory at 0x300000)
      m.memory.ram32[0x300000 >>> 2] = 0x83;
      m.cpu.r32[3] = 0x300000;
      m.cpu.cr4 |= 0x10; // PSE
    });
    expect(o.vector).toBe(vector);
    expect(o.eflags & RF).toBe(rf);
  });

  /** #DB (instruction breakpoints) and #GP handlers that count and return; the #GP handler makes
   *  the faulting MOV DS load a valid selector. */
  const HANDLERS = `
    GATE 1, h_db
    GATE 13, h_gp
    jmp start
  h_db:                               ; returns with RF from [0x5e8], and RF=1 from the third on
    push eax
    inc dword [0x5e0]
    mov eax, [esp + 12]
    cmp dword [0x5e0], 3
    jae .rf
    or eax, [0x5e8]
    jmp .set
  .rf:
    or eax, ${RF}
  .set:
    mov [esp + 12], eax
    pop eax
    iretd
  h_gp:
    push eax
    inc dword [0x5e4]
    mov eax, [esp + 16]
    mov [0x5d0], eax                  ; the #GP image's EFLAGS
    pop eax
    add esp, 4
    mov bx, ${FLAT_DATA}
    iretd
  start:
    mov dword [0x5e0], 0
    mov dword [0x5e4], 0
  `;

  it("an instruction breakpoint returned from with RF=1 does not fire again; with RF=0 it does", () => {
    for (const [rf, count] of [[RF, 1], [0, 3]] as const) {
      const { m, o } = run32(options, `${HANDLERS}
        mov dword [0x5e8], ${rf}
        BREAK_ON .bp
        mov ecx, 0
      .bp:
        inc ecx
        hlt`);
      expect(o.vector).toBe(null);
      expect(ram32(m, 0x5e0)).toBe(count);
      expect(m.cpu.r32[1]).toBe(1);
    }
  });

  it("a faulting instruction with a breakpoint: #DB, then the fault (RF=1 pushed), whose handler returns without another #DB", () => {
    const { m, o } = run32(options, `${HANDLERS}
      mov dword [0x5e8], ${RF}
      BREAK_ON .bp
      mov bx, 0x1234
    .bp:
      mov ds, bx                      ; #DB, then #GP(0x1230); the handler fixes BX
      mov eax, ds
      hlt`);
    expect(o.vector).toBe(null);
    expect([ram32(m, 0x5e0), ram32(m, 0x5e4)]).toEqual([1, 1]);
    expect(ram32(m, 0x5d0) & RF).toBe(RF);
    expect(m.cpu.r32[0] & 0xffff).toBe(FLAT_DATA);
  });

  it("RF lasts one instruction (cleared at its start: INT n after IRET pushes RF=0); POPF does not set it", () => {
    const iret = run32(options, `
      pushfd
      or dword [esp], ${RF}
      push cs
      push dword .next
      iretd
    .next:
      int 0x1f`);
    expect(iret.o.vector).toBe(31);
    expect(iret.o.eflags & RF).toBe(0);
    expect(iret.m.cpu.getEflags() & RF).toBe(0);
    const popf = run32(options, `
      pushfd
      or dword [esp], ${RF}
      popfd
      int 0x1f`);
    expect(popf.o.eflags & RF).toBe(0);
  });

  it("an interrupt between the chunks of a long REP string instruction pushes RF=1 and EIP at the instruction", () => {
    const { m } = run32(options, `${MARK}
      mov ax, ${FLAT_DATA}
      mov fs, ax
      mov edi, 0x200000
      mov ecx, 20000
      mov al, 0x5a
      mark 0
      rep stosb
      hlt`);
    // Run it again by hand: one step runs a chunk of the REP, then an interrupt arrives.
    const c = m.cpu;
    const rep = mark(m, 0);
    c.halted = false;
    c.eip = rep;
    c.r32[7] = 0x200000;
    c.r32[1] = 20000;
    c.setEflags(c.getEflags() | 0x200);
    c.step();
    expect(c.eip).toBe(rep);
    expect(c.r32[1]).toBeGreaterThan(0);
    expect(c.r32[1]).toBeLessThan(20000);
    let acked = 0;
    const controller: CpuInterruptController = { acknowledgeInterrupt: () => (acked++, 0x1e) };
    c.interruptController = controller;
    c.setIntrLine(true);
    c.run(1);
    c.setIntrLine(false);
    expect(acked).toBe(1);
    const sp = c.r32[4] >>> 0;
    expect(ram32(m, sp)).toBe(rep); // EIP: the REP instruction
    expect(ram32(m, sp + 8) & RF).toBe(RF);
  });

  it("a data breakpoint hit by a REP MOVS iteration: the trap follows that iteration, RF=1 pushed", () => {
    const { m, o } = run32(options, `
      mov eax, 0x200105
      mov dr0, eax
      mov eax, 1 | (1 << 16)          ; L0, R/W0 = 01 (write), LEN0 = 1 byte
      mov dr7, eax
      mov esi, 0x200000
      mov edi, 0x200100
      mov ecx, 16
      cld
    .rep:
      rep movsb
      hlt`, fill);
    const c = m.cpu;
    expect(o.vector).toBe(1);
    expect(o.eflags & RF).toBe(RF);
    expect([c.r32[1], c.r32[7] >>> 0, c.dr[6] & 0xf]).toEqual([10, 0x200106, 1]);
    expect(ram(m, o.eip)).toBe(0xf3);
  });
});

describe.each(MODES)("I/O breakpoints ($name)", ({ options }) => {
  // DR0 = port 0x80 (LEN 1), DR1 = 0x70..0x71 (LEN 2), DR2 = 0x3f8..0x3fb (LEN 4), all R/W = 10b.
  const DR7 = 0x15 | (2 << 16) | (2 << 20) | (1 << 22) | (2 << 24) | (3 << 26);
  const io = (code: string, de = true, dr7 = DR7) => run32(options, `${MARK}
    mov ax, ${FLAT_DATA}
    mov fs, ax
    mov eax, cr4
    ${de ? "or eax, 8" : "and eax, ~8"}
    mov cr4, eax
    mov eax, 0x80
    mov dr0, eax
    mov eax, 0x70
    mov dr1, eax
    mov eax, 0x3f8
    mov dr2, eax
    mov eax, ${dr7}
    mov dr7, eax
    mov esi, 0x200000
    mov edi, 0x200100
    mov dword [fs:0x5f0], .after      ; (the address the trap returns to)
    ${code}
  .after:
    hlt`);

  it.each([
    ["out 0x80, al", 1], ["in al, 0x80", 1], ["mov dx, 0x71\n out dx, al", 2], ["mov dx, 0x6f\n in ax, dx", 2],
    ["mov dx, 0x3fb\n in al, dx", 4], ["mov dx, 0x3f6\n in eax, dx", 4], ["mov dx, 0x80\n outsb", 1], ["mov dx, 0x3f8\n insd", 4],
    ["out 0x81, al", 0], ["mov dx, 0x72\n in al, dx", 0], ["mov dx, 0x3fc\n out dx, eax", 0], ["mov dx, 0x7e\n in ax, dx", 0],
  ])("%s: DR6 bits %i", (code, bits) => {
    const { m, o } = io(code);
    if (bits === 0) {
      expect(o.vector).toBe(null);
      return;
    }
    expect(o).toMatchObject({ vector: 1, eip: mark(m, 0) }); // a trap: after the instruction
    expect(m.cpu.dr[6] & 0xf).toBe(bits);
    expect(o.eflags & RF).toBe(0);
  });

  it("nothing without CR4.DE or with the breakpoint not enabled", () => {
    expect(io("out 0x80, al", false).o.vector).toBe(null);
    expect(io("out 0x80, al", true, DR7 & ~0x3f).o.vector).toBe(null);
  });

  it("a reset disarms every breakpoint", () => {
    const { m } = io("out 0x81, al");
    const c = m.cpu;
    expect([c.debugActive, c.ioWatchActive]).toEqual([true, true]);
    c.reset();
    expect([c.debugActive, c.watchActive, c.ioWatchActive]).toEqual([false, false, false]);
  });

  it("REP OUTSB: the trap follows the first iteration, EIP at the instruction, RF=1 pushed", () => {
    const { m, o } = io("mov dx, 0x80\n mov ecx, 5\n .rep:\n rep outsb");
    expect(o.vector).toBe(1);
    expect(o.eflags & RF).toBe(RF);
    expect([m.cpu.r32[1], m.cpu.r32[6] >>> 0]).toEqual([4, 0x200001]);
    expect(ram(m, o.eip)).toBe(0xf3);
  });
});

describe.each(MODES)("alignment check ($name)", ({ options }) => {
  /** `code` at CPL 3 (flat DS/ES 0x2b, EBX = 0x200000, ESP = 0x70000) with CR0.AM and EFLAGS.AC as
   *  given; it ends with UD2 (#UD, vector 6: the end was reached). */
  const ring3 = (code: string, am = true, ac = true) => run32(options, `${MARK}
    mov ax, ${FLAT_DATA}
    mov fs, ax
    mov eax, cr0
    ${am ? "or eax, 0x40000" : "and eax, ~0x40000"}
    mov cr0, eax
    RING3F 0x2b, 0x70000, ${ac ? 0x40002 : 2}
    mov ax, 0x2b
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov ebx, 0x200000
    mov esi, 0x200000
    mov edi, 0x200100
    mov eax, 0x01010101
    cmp eax, eax
    mark 0
    ${code}
    ud2`, fill);
  const END = 6;

  it.each([
    "mov eax, [ebx + 1]", "mov ax, [ebx + 3]", "mov [ebx + 2], eax", "mov word [ebx + 1], 1", "add [ebx + 1], eax",
    "inc dword [ebx + 2]", "push dword [ebx + 1]", "cmpxchg8b [ebx + 4]", "lfs eax, [ebx + 2]", "lfs ax, [ebx + 1]",
    "bound eax, [ebx + 2]", "lodsw\n mark 0\n lodsd", "mov esi, 0x200002\n mark 0\n movsd", "mov edi, 0x200001\n mark 0\n stosw",
    "lea esp, [esp - 2]\n mark 0\n push eax", "lea esp, [esp - 1]\n mark 0\n call $", "lea esp, [esp - 2]\n mark 0\n pop eax",
    "mov ecx, 33\n mark 0\n bt [ebx + 2], ecx",
  ])("at CPL 3 with AM and AC, a misaligned access is #AC(0) before any effect: %s", (code) => {
    const { m, o } = ring3(code);
    expect(o).toMatchObject({ vector: 17, errorCode: 0, eip: mark(m, 0) });
    expect(o.eflags & 0x8d5).toBe(0x44);
    for (let a = 0x200000; a < 0x200010; a += 4) expect(ram32(m, a), code).toBe(PATTERN);
  });

  it("aligned accesses and bytes do not fault", () => {
    const { o } = ring3(`
      mov eax, [ebx + 4]
      mov ax, [ebx + 2]
      mov al, [ebx + 3]
      mov [ebx + 8], eax
      push eax
      pop eax
      mov dword [ebx + 0x20], 0
      mov dword [ebx + 0x24], 0x2b
      lfs eax, [ebx + 0x20]
      lfs ax, [ebx + 0x22]
      cmpxchg8b [ebx + 8]
      movsd
      stosw`);
    expect(o.vector).toBe(END);
  });

  it("no #AC with AC clear, AM clear, or at CPL 0", () => {
    expect(ring3("mov eax, [ebx + 1]", true, false).o.vector).toBe(END);
    expect(ring3("mov eax, [ebx + 1]", false, true).o.vector).toBe(END);
    const cpl0 = run32(options, `
      mov eax, cr0
      or eax, 0x40000
      mov cr0, eax
      pushfd
      or dword [esp], 0x40000
      popfd
      mov eax, [0x200001]
      hlt`);
    expect(cpl0.o.vector).toBe(null);
    expect(cpl0.m.cpu.alignCheck).toBe(false);
  });

  it("compiled ring-3 code stops running once POPF sets AC; at CPL 0 the flat fast path is back", () => {
    const hot = run32(options, `${MARK}
      mov ax, ${FLAT_DATA}
      mov fs, ax
      mov eax, cr0
      or eax, 0x40000
      mov cr0, eax
      RING3 0x2b, 0x70000
      mov ax, 0x2b
      mov ds, ax
      mov fs, ax
      mov ebx, 0x200001
      mov ecx, 5000
    .l:
      call access
      loop .l
      pushfd
      or dword [esp], 0x40000
      popfd
      call access
      int 0x1f
    access:
      mark 0
      mov eax, [ebx]
      ret`);
    expect(hot.o).toMatchObject({ vector: 17, errorCode: 0, eip: mark(hot.m, 0) });
    expect(hot.m.cpu.r32[1]).toBe(0);
    // In the handler (CPL 0) alignment checking is off again, and DS (flat) back on the fast path.
    const c = hot.m.cpu;
    expect(c.alignCheck).toBe(false);
    expect(c.segCheck[3]).toBe(0);
  });
});

void BASE16; void BASE32;
