// PAE paging with the NX bit (SDM vol. 3A 4.4, 4.7): 4 KiB and 2 MiB walks through 64-bit entries,
// accessed/dirty bits, U/S and R/W with CR0.WP, execute-disable (fetch #PF with I/D, data reads
// allowed), the NX bit and bits above MAXPHYADDR as reserved bits, PDPTE loading (#GP at MOV CR3),
// INVLPG of a 2 MiB page, CR3 and CR4.PGE flushes, physical pages above 4 GiB, EFER, CPUID and
// saved state. The NX programs run in the interpreter and with the block compiler forced on.

import { describe, expect, it } from "vitest";
import { CPU, ECX, EAX, EDX, EBX, type CpuOptions } from "../../src/emulator/cpu/cpu.ts";
import { writeCr0, writeCr3, writeCr4 } from "../../src/emulator/cpu/system.ts";
import { readMsr, writeMsr } from "../../src/emulator/cpu/msr.ts";
import { cpuid } from "../../src/emulator/cpu/cpuid.ts";
import { assemble, enterFlat, ENV_CPU_OPTIONS, faultOf, FLAT_PRELUDE, makeMachine, runUntilHalt, type TestMachine } from "./harness.ts";

// Page tables: PDPT at 0x200e0 (CR3 bits 11:5 matter), one page directory for 0-1 GiB.
const PDPT = 0x200e0;
const PD0 = 0x21000;
const PT0 = 0x22000; // 0-2 MiB identity, 4 KiB pages
const PT1 = 0x23000; // 4-6 MiB identity, 4 KiB pages (the test pages)
const P = 1, W = 2, U = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
const NX = 0x80000000 | 0; // bit 63, in the high dword
const CR0_PG = 0x80000000 | 0, CR0_WP = 0x10000;
const CR4_PAE = 0x20, CR4_PGE = 0x80;
const EFER = 0xc0000080, NXE = 0x800;

const MODES: { name: string; options: CpuOptions }[] = [
  { name: "interpreter", options: { jit: false } },
  { name: "jit threshold 1", options: { jit: true, jitThreshold: 1 } },
  { name: "jit default", options: { jit: true } },
];

/** The harness's environment-selected mode (HYPERTAB_JIT / HYPERTAB_JIT_THRESHOLD) unless told. */

const machine = (options: CpuOptions = ENV_CPU_OPTIONS): TestMachine => makeMachine(16, options);

function setEntry(m: TestMachine, addr: number, lo: number, hi = 0): void {
  m.memory.ram32[addr >>> 2] = lo;
  m.memory.ram32[(addr >>> 2) + 1] = hi;
}
const lo = (m: TestMachine, addr: number) => m.memory.ram32[addr >>> 2];
const hi = (m: TestMachine, addr: number) => m.memory.ram32[(addr >>> 2) + 1];
const pte1 = (lin: number) => PT1 + ((lin - 0x400000) >>> 12) * 8;

/** The page tables every test starts from (nothing accessed yet). */
function buildTables(m: TestMachine): void {
  setEntry(m, PDPT, PD0 | P);
  setEntry(m, PD0 + 0 * 8, PT0 | P | W | U);
  for (let i = 0; i < 512; i++) setEntry(m, PT0 + i * 8, (i << 12) | P | W | U);
  setEntry(m, PD0 + 1 * 8, 0x200000 | P | W | U | PS | G); // 2-4 MiB: global 2 MiB page, identity
  setEntry(m, PD0 + 2 * 8, PT1 | P | W | U);
  for (let i = 0; i < 512; i++) setEntry(m, PT1 + i * 8, (0x400000 + (i << 12)) | P | W | U);
  setEntry(m, PD0 + 3 * 8, 0x800000 | P | W | U | PS); // linear 6 MiB -> physical 8 MiB
  for (let i = 4; i < 8; i++) setEntry(m, PD0 + i * 8, (i << 21) | P | W | U | PS); // 8-16 MiB identity
}

function setEfer(c: CPU, v: number): boolean {
  c.r32[ECX] = EFER;
  c.r32[EAX] = v;
  c.r32[EDX] = 0;
  return writeMsr(c);
}

/** Flat protected mode with PAE paging on the tables above (PGE, and NXE unless told otherwise). */
function paeMachine(nxe = true): TestMachine {
  const m = machine();
  buildTables(m);
  enterFlat(m, 0x10000);
  const c = m.cpu;
  writeCr3(c, PDPT);
  writeCr4(c, CR4_PAE | CR4_PGE);
  if (nxe) expect(setEfer(c, NXE)).toBe(true);
  writeCr0(c, c.cr0 | CR0_PG);
  return m;
}

function asUser(c: CPU, user: boolean): void {
  c.cpl = user ? 3 : 0;
  c.updateCpuMode();
}

describe("PAE walks", () => {
  it("4 KiB page: translation through PDPTE/PDE/PTE, A in PDE and PTE on a read, D in the PTE on a write", () => {
    const m = paeMachine();
    const c = m.cpu;
    expect(c.cr3).toBe(PDPT); // all of bits 31:5 kept
    m.memory.ram32[0x403010 >>> 2] = 0x11223344;
    setEntry(m, pte1(0x403000), 0x404000 | P | W | U); // linear 0x403000 -> physical 0x404000
    m.memory.ram32[0x404010 >>> 2] = 0x55667788;
    expect(c.rd32(0x403010)).toBe(0x55667788);
    expect(lo(m, PD0 + 2 * 8) & (A | D)).toBe(A);
    expect(lo(m, pte1(0x403000)) & (A | D)).toBe(A);
    c.wr32(0x403014, 0x99);
    expect(m.memory.ram32[0x404014 >>> 2]).toBe(0x99);
    expect(lo(m, pte1(0x403000)) & (A | D)).toBe(A | D);
    expect(lo(m, PD0 + 2 * 8) & D).toBe(0); // a PDE pointing to a page table has no dirty bit
    expect(hi(m, pte1(0x403000))).toBe(0); // the high dword is not written
    expect([lo(m, PDPT), hi(m, PDPT)]).toEqual([PD0 | P, 0]); // PDPTEs have no accessed bit
  });

  it("2 MiB page: translation, A and D in the PDE", () => {
    const m = paeMachine();
    const c = m.cpu;
    m.memory.ram32[(0x800000 + 0x1ff004) >>> 2] = 0xabcdef01;
    expect(c.rd32(0x600000 + 0x1ff004) >>> 0).toBe(0xabcdef01);
    expect(lo(m, PD0 + 3 * 8) & (A | D)).toBe(A);
    c.wr32(0x600008, 0x1234);
    expect(m.memory.ram32[0x800008 >>> 2]).toBe(0x1234);
    expect(lo(m, PD0 + 3 * 8) & (A | D)).toBe(A | D);
  });

  it("U/S and R/W combine the PDE and the PTE; supervisor writes to read-only pages follow CR0.WP", () => {
    const m = paeMachine();
    const c = m.cpu;
    setEntry(m, pte1(0x400000), 0x400000 | P | W); // supervisor only
    setEntry(m, pte1(0x401000), 0x401000 | P | U); // read-only
    setEntry(m, PD0 + 4 * 8, 0x800000 | P | U | PS); // read-only 2 MiB page at 8 MiB
    asUser(c, true);
    expect(faultOf(() => c.rd32(0x400010))).toEqual({ vector: 14, errorCode: P | U });
    expect(c.cr2 >>> 0).toBe(0x400010);
    expect(faultOf(() => c.wr32(0x401010, 1))).toEqual({ vector: 14, errorCode: P | W | U });
    expect(faultOf(() => c.wr32(0x800010, 1))).toEqual({ vector: 14, errorCode: P | W | U });
    expect(faultOf(() => c.rd32(0x401010))).toBeNull();
    asUser(c, false);
    expect(faultOf(() => c.wr32(0x401020, 7))).toBeNull(); // WP=0: supervisor may write
    expect(faultOf(() => c.wr32(0x800020, 7))).toBeNull();
    writeCr0(c, c.cr0 | CR0_WP); // flushes the TLB
    expect(faultOf(() => c.wr32(0x401024, 8))).toEqual({ vector: 14, errorCode: P | W });
    expect(faultOf(() => c.wr32(0x800024, 8))).toEqual({ vector: 14, errorCode: P | W });
    expect(m.memory.ram32[0x401024 >>> 2]).toBe(0);
  });

  it("not-present PDPTE, PDE and PTE raise #PF without P", () => {
    const m = paeMachine();
    const c = m.cpu;
    setEntry(m, pte1(0x402000), 0x402000); // PTE not present
    setEntry(m, PD0 + 9 * 8, 0); // PDE not present (18-20 MiB)
    expect(faultOf(() => c.rd32(0x40000000))).toEqual({ vector: 14, errorCode: 0 }); // PDPTE 1 not present
    expect(faultOf(() => c.wr32(0x1200000, 0))).toEqual({ vector: 14, errorCode: W });
    expect(faultOf(() => c.rd8(0x402fff))).toEqual({ vector: 14, errorCode: 0 });
    expect(c.cr2 >>> 0).toBe(0x402fff);
  });
});

describe("execute disable", () => {
  it("an instruction fetch from an NX page faults with error code 0x11 (0x15 from ring 3); data reads are allowed", () => {
    const m = paeMachine();
    const c = m.cpu;
    setEntry(m, pte1(0x401000), 0x401000 | P | W | U, NX);
    m.memory.ram[0x401000] = 0x90;
    expect(c.rd8(0x401000)).toBe(0x90); // data read: fine (and the TLB entry carries NX now)
    c.wr8(0x401001, 0x90);
    c.eip = 0x401000;
    expect(faultOf(() => c.fetch8())).toEqual({ vector: 14, errorCode: 0x11 });
    expect(c.cr2 >>> 0).toBe(0x401000);
    asUser(c, true);
    c.eip = 0x401000;
    expect(faultOf(() => c.fetch8())).toEqual({ vector: 14, errorCode: 0x15 });
    // NX in a 2 MiB PDE covers the whole page.
    asUser(c, false);
    setEntry(m, PD0 + 5 * 8, 0xa00000 | P | W | U | PS, NX);
    expect(faultOf(() => c.rd32(0xb00000))).toBeNull();
    c.eip = 0xb00000;
    expect(faultOf(() => c.fetch8())).toEqual({ vector: 14, errorCode: 0x11 });
    // Not-present fetches carry I/D too (PAE with NXE).
    setEntry(m, pte1(0x402000), 0);
    c.eip = 0x402000;
    expect(faultOf(() => c.fetch8())).toEqual({ vector: 14, errorCode: 0x10 });
  });

  it("with EFER.NXE=0 the NX bit is reserved: #PF with P|RSVD, and no I/D bit", () => {
    const m = paeMachine(false);
    const c = m.cpu;
    setEntry(m, pte1(0x401000), 0x401000 | P | W | U, NX);
    expect(faultOf(() => c.rd32(0x401000))).toEqual({ vector: 14, errorCode: P | 8 });
    expect(faultOf(() => c.wr32(0x401000, 0))).toEqual({ vector: 14, errorCode: P | W | 8 });
    c.eip = 0x401000;
    expect(faultOf(() => c.fetch8())).toEqual({ vector: 14, errorCode: P | 8 });
    expect(lo(m, pte1(0x401000)) & A).toBe(0); // an invalid entry is not marked accessed
    // Turning NXE on makes the same entry valid (and flushes the TLB).
    expect(setEfer(c, NXE)).toBe(true);
    expect(faultOf(() => c.rd32(0x401000))).toBeNull();
    c.eip = 0x401000;
    expect(faultOf(() => c.fetch8())).toEqual({ vector: 14, errorCode: 0x11 });
  });

  it("bits above MAXPHYADDR (36) and 2 MiB PDE bits 20:13 are reserved", () => {
    const m = paeMachine();
    const c = m.cpu;
    setEntry(m, pte1(0x401000), 0x401000 | P | W | U, 0x10); // bit 36
    expect(faultOf(() => c.rd32(0x401000))).toEqual({ vector: 14, errorCode: P | 8 });
    c.eip = 0x401000;
    expect(faultOf(() => c.fetch8())).toEqual({ vector: 14, errorCode: P | 8 | 0x10 });
    setEntry(m, PD0 + 5 * 8, 0xa00000 | P | W | U | PS | 0x2000); // bit 13
    expect(faultOf(() => c.rd32(0xa00000))).toEqual({ vector: 14, errorCode: P | 8 });
    setEntry(m, PD0 + 5 * 8, 0xa00000 | P | W | U | PS | 0x1000); // bit 12 is PAT: valid
    expect(faultOf(() => c.rd32(0xa00000))).toBeNull();
    setEntry(m, PD0 + 6 * 8, 0xc00000 | P | W | U | PS, 0x40000000); // bit 62
    expect(faultOf(() => c.wr32(0xc00000, 1))).toEqual({ vector: 14, errorCode: P | W | 8 });
  });
});

describe("PDPTEs", () => {
  it("a present PDPTE with reserved bits set: #GP(0) at MOV CR3, MOV CR0 and MOV CR4, registers unchanged", () => {
    const m = paeMachine();
    const c = m.cpu;
    const bad = 0x30000;
    setEntry(m, bad, PD0 | P);
    setEntry(m, bad + 8, PD0 | P | W); // bit 1 is reserved in a PAE PDPTE
    expect(faultOf(() => writeCr3(c, bad))).toEqual({ vector: 13, errorCode: 0 });
    expect(c.cr3).toBe(PDPT);
    setEntry(m, bad + 8, PD0 | P, 0x10); // bit 36
    expect(faultOf(() => writeCr3(c, bad))).toEqual({ vector: 13, errorCode: 0 });
    setEntry(m, bad + 8, PD0 | P, NX); // bit 63 is reserved in a PDPTE even with NXE
    expect(faultOf(() => writeCr3(c, bad))).toEqual({ vector: 13, errorCode: 0 });
    setEntry(m, bad + 8, (PD0 | 0x1e6) & ~P, -1); // not present: the rest is ignored
    expect(faultOf(() => writeCr3(c, bad))).toBeNull();
    expect(c.cr3).toBe(bad);
    setEntry(m, bad + 8, PD0 | P | 0x20); // bit 5
    // Paging off: MOV CR3 loads nothing; turning PG on does, and fails.
    writeCr0(c, c.cr0 & ~CR0_PG);
    writeCr3(c, bad);
    expect(faultOf(() => writeCr0(c, c.cr0 | CR0_PG))).toEqual({ vector: 13, errorCode: 0 });
    expect(c.cr0 & CR0_PG).toBe(0);
    // 32-bit paging on, then setting CR4.PAE loads the PDPTEs: #GP, CR4 unchanged.
    writeCr4(c, CR4_PGE);
    writeCr0(c, c.cr0 | CR0_PG);
    expect(faultOf(() => writeCr4(c, CR4_PGE | CR4_PAE))).toEqual({ vector: 13, errorCode: 0 });
    expect(c.cr4).toBe(CR4_PGE);
  });

  it("the PDPTEs are cached: a change in memory takes effect at the next MOV CR3", () => {
    const m = paeMachine();
    const c = m.cpu;
    m.memory.ram32[0x400000 >>> 2] = 1;
    m.memory.ram32[0x500000 >>> 2] = 2;
    expect(c.rd32(0x400000)).toBe(1);
    // Another directory mapping linear 4-6 MiB to physical 5 MiB.., reached only through a new PDPTE 0.
    const PD_ALT = 0x32000;
    for (let i = 0; i < 512; i++) setEntry(m, PD_ALT + i * 8, lo(m, PD0 + i * 8), hi(m, PD0 + i * 8));
    for (let i = 0; i < 512; i++) setEntry(m, 0x33000 + i * 8, (0x500000 + (i << 12)) | P | W | U);
    setEntry(m, PD_ALT + 2 * 8, 0x33000 | P | W | U);
    setEntry(m, PDPT, PD_ALT | P);
    c.flushTlb(false);
    expect(c.rd32(0x400000)).toBe(1); // still the cached PDPTE
    writeCr3(c, PDPT);
    expect(c.rd32(0x400000)).toBe(2);
  });
});

describe("TLB", () => {
  it("INVLPG anywhere in a 2 MiB page drops all its 4 KiB pieces", () => {
    const m = paeMachine();
    const c = m.cpu;
    m.memory.ram32[0x800000 >>> 2] = 1;
    m.memory.ram32[0x9ff000 >>> 2] = 2;
    m.memory.ram32[0xa00000 >>> 2] = 3;
    m.memory.ram32[0xbff000 >>> 2] = 4;
    expect([c.rd32(0x600000), c.rd32(0x7ff000)]).toEqual([1, 2]);
    setEntry(m, PD0 + 3 * 8, 0xa00000 | P | W | U | PS);
    expect([c.rd32(0x600000), c.rd32(0x7ff000)]).toEqual([1, 2]); // cached
    c.invalidatePage(0x6ab123);
    expect([c.rd32(0x600000), c.rd32(0x7ff000)]).toEqual([3, 4]);
  });

  it("MOV CR3 drops non-global entries and keeps global ones; toggling CR4.PGE drops those too", () => {
    const m = paeMachine();
    const c = m.cpu;
    m.memory.ram32[0x200000 >>> 2] = 1; // global 2 MiB page
    m.memory.ram32[0x400000 >>> 2] = 2; // non-global 4 KiB page
    m.memory.ram32[0xa00000 >>> 2] = 3;
    expect([c.rd32(0x200000), c.rd32(0x400000)]).toEqual([1, 2]);
    // Remap both to physical 0xa00000 without INVLPG.
    setEntry(m, PD0 + 1 * 8, 0xa00000 | P | W | U | PS | G);
    setEntry(m, pte1(0x400000), 0xa00000 | P | W | U);
    writeCr3(c, PDPT);
    expect([c.rd32(0x200000), c.rd32(0x400000)]).toEqual([1, 3]);
    writeCr4(c, CR4_PAE);
    expect(c.rd32(0x200000)).toBe(3);
  });

  it("a physical page above 4 GiB is unbacked: reads all ones, writes dropped, never in the TLB", () => {
    const m = paeMachine();
    const c = m.cpu;
    setEntry(m, pte1(0x405000), 0x5000 | P | W | U, 1); // physical 0x1_0000_5000
    const before = m.memory.ram32[0x5000 >>> 2];
    expect(c.rd32(0x405000)).toBe(-1);
    expect(c.rd8(0x405fff)).toBe(0xff);
    c.wr32(0x405000, 0x12345678);
    c.wr16(0x405ffe, 0x1234);
    expect(m.memory.ram32[0x5000 >>> 2]).toBe(before);
    expect(c.tlb[0x405]).toBe(0);
    expect(lo(m, pte1(0x405000)) & (A | D)).toBe(A | D);
    c.eip = 0x405000;
    expect(c.fetch8()).toBe(0xff);
    // A page table above 4 GiB reads as all ones: present with reserved bits set.
    setEntry(m, PD0 + 9 * 8, 0x1000 | P | W | U, 2);
    expect(faultOf(() => c.rd32(0x1200000))).toEqual({ vector: 14, errorCode: P | 8 });
  });
});

describe("EFER, CPUID, saved state", () => {
  it("EFER holds NXE only; other bits raise #GP on WRMSR; CPUID reports PAE and NX", () => {
    const m = machine();
    const c = m.cpu;
    expect(setEfer(c, 0x1)).toBe(false); // SCE: no SYSCALL on this CPU
    expect(setEfer(c, 0x100)).toBe(false); // LME
    c.r32[EDX] = 1;
    c.r32[EAX] = 0;
    expect(writeMsr(c)).toBe(false);
    expect(setEfer(c, NXE)).toBe(true);
    c.r32[EAX] = c.r32[EDX] = -1;
    expect(readMsr(c)).toBe(true);
    expect([c.r32[EAX], c.r32[EDX]]).toEqual([NXE, 0]);
    c.r32[EAX] = 1;
    cpuid(c);
    expect((c.r32[EDX] >>> 6) & 1).toBe(1);
    c.r32[EAX] = 0x80000001 | 0;
    cpuid(c);
    expect([c.r32[EDX] >>> 0, c.r32[ECX], c.r32[EBX]]).toEqual([1 << 20, 0, 0]);
    c.reset();
    expect(c.efer).toBe(0);
  });

  it("EFER and the PDPTEs are saved and restored; a version 1 state still loads", () => {
    const m = paeMachine();
    m.memory.ram32[0x400000 >>> 2] = 42;
    const saved = m.cpu.saveState();
    // The restored CPU must use the saved PDPTEs, not whatever the table in memory says now.
    setEntry(m, PDPT, 0);
    m.cpu.loadState(saved);
    expect(m.cpu.efer).toBe(NXE);
    expect(m.cpu.rd32(0x400000)).toBe(42);
    const v1 = structuredClone(saved);
    v1.version = 1;
    delete v1.fields.efer;
    delete v1.fields.pdpte;
    v1.fields.cr4 = 0;
    v1.fields.cr0 = (v1.fields.cr0 as number) & ~CR0_PG;
    const fresh = machine();
    fresh.cpu.loadState(v1);
    expect(fresh.cpu.efer).toBe(0);
    expect([...fresh.cpu.pdpte]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

// ---- Programs: the fetch path of the interpreter (fetch window), and compiled blocks ----

const ENABLE_PAE = `
  mov eax, ${PDPT}
  mov cr3, eax
  mov eax, cr4
  or eax, ${CR4_PAE | CR4_PGE}
  mov cr4, eax
  mov ecx, ${EFER}
  rdmsr
  or eax, ${NXE}
  wrmsr
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
`;

/** #PF handler: records (error code, CR2, faulting EIP) at 0x3000 + 12n and resumes at [resume]. */
const PF_HANDLER = `
pf:
  xchg eax, [esp]              ; error code
  push esi
  mov esi, [nfaults]
  imul esi, esi, 12
  mov [0x3000 + esi], eax
  mov eax, cr2
  mov [0x3004 + esi], eax
  mov eax, [esp + 8]           ; faulting EIP
  mov [0x3008 + esi], eax
  inc dword [nfaults]
  mov eax, [resume]
  mov [esp + 8], eax
  pop esi
  pop eax
  iretd
nfaults: dd 0
resume: dd 0
`;

function runProgram(options: CpuOptions, body: string, setup?: (m: TestMachine) => void): TestMachine {
  const m = machine(options);
  buildTables(m);
  setup?.(m);
  m.memory.writeBytes(0x10000, assemble(`${FLAT_PRELUDE}\n  SET_GATE 14, pf\n${ENABLE_PAE}\n${body}\n${PF_HANDLER}`, 32, 0x10000));
  enterFlat(m, 0x10000);
  runUntilHalt(m, 5_000_000);
  return m;
}

/** The (error code, CR2, EIP) triples PF_HANDLER recorded. */
function faults(m: TestMachine): number[][] {
  const out: number[][] = [];
  for (let a = 0x3000; m.memory.ram32[a >>> 2] !== 0; a += 12) {
    out.push([m.memory.ram32[a >>> 2], m.memory.ram32[(a + 4) >>> 2] >>> 0, m.memory.ram32[(a + 8) >>> 2] >>> 0]);
  }
  return out;
}

describe.each(MODES)("execute disable in running code ($name)", ({ options }) => {
  it("calls into an NX page, a compiled block whose page became NX, fall-through and a straddling instruction fault with 0x11", () => {
    const m = runProgram(
      options,
      `
  ; "inc ebx; ret" at 0x400000 (executable) and 0x401000 (NX): writes to the NX page are data writes
  mov eax, 0xc343
  mov [0x400000], eax
  mov [0x401000], eax
  xor ebx, ebx
  mov ecx, 50
.hot:
  mov edx, 0x400000
  call edx
  loop .hot
  mov eax, [0x401000]           ; data read of the NX page: allowed
  mov [0x2000], eax
  mov dword [resume], .r1
  mov edx, 0x401000
  call edx
.r1:
  add esp, 4                    ; the CALL's return address
  ; the hot page becomes NX: a data read puts an NX entry in the TLB, then the call must fault
  or dword [${pte1(0x400000) + 4}], 0x80000000
  invlpg [0x400000]
  mov eax, [0x400000]
  mov dword [resume], .r2
  mov edx, 0x400000
  call edx
.r2:
  add esp, 4
  ; falling through from an executable page into an NX one (0x403000), its TLB entry present
  mov eax, [0x403000]
  mov edi, 0x402ff0
  mov ecx, 16
  mov al, 0x90
  rep stosb
  mov word [0x403000], 0xc343
  mov dword [resume], .r3
  mov edx, 0x402ff0
  call edx
.r3:
  add esp, 4
  ; a 5-byte MOV EAX, imm32 with its last 3 bytes on the NX page 0x405000
  mov byte [0x404ffe], 0xb8
  mov dword [0x404fff], 0xc3000000
  mov dword [resume], .r4
  mov edx, 0x404ffe
  call edx
.r4:
  add esp, 4
  hlt
`,
      (mm) => {
        setEntry(mm, pte1(0x401000), 0x401000 | P | W | U, NX);
        setEntry(mm, pte1(0x403000), 0x403000 | P | W | U, NX);
        setEntry(mm, pte1(0x405000), 0x405000 | P | W | U, NX);
      },
    );
    expect(m.cpu.r32[EBX]).toBe(50);
    expect(m.memory.ram32[0x2000 >>> 2]).toBe(0xc343);
    expect(faults(m)).toEqual([
      [0x11, 0x401000, 0x401000],
      [0x11, 0x400000, 0x400000],
      [0x11, 0x403000, 0x403000],
      [0x11, 0x405000, 0x404ffe],
    ]);
    if (options.jitThreshold === 1) expect(m.cpu.jit!.compiled).toBeGreaterThan(0);
  });

  it("MOV CR3 with a reserved bit in a present PDPTE raises #GP(0) and keeps CR3", () => {
    const m = runProgram(
      options,
      `
  SET_GATE 13, gp
  mov dword [0x30008], ${PD0 | P | 0x100}  ; bit 8: reserved
  mov dword [0x30000], ${PD0 | P}
  mov eax, 0x30000
  mov cr3, eax
  mov eax, cr3
  mov [0x2004], eax
  hlt
gp:
  pop eax
  mov [0x2000], eax
  add dword [esp], 3             ; skip MOV CR3, EAX (0F 22 D8)
  iretd
`,
    );
    expect(m.memory.ram32[0x2000 >>> 2]).toBe(0);
    expect(m.memory.ram32[0x2004 >>> 2]).toBe(PDPT);
  });
});
