// The block compiler (src/emulator/cpu/jit/) against the interpreter: the same guest code run with
// { jit: false } and with the JIT forced on (threshold 1 and 3) must give identical registers,
// flags, memory and instruction counts after every run() slice, including slices that end inside
// blocks. Plus the cases a compiler gets wrong: self-modifying code, a page fault in the middle of
// a block, and two address spaces mapping one linear page to different code.

import { describe, expect, it } from "vitest";
import { type CpuOptions } from "../../src/emulator/cpu/cpu.ts";
import { assemble, enterFlat, FLAT_PRELUDE, makeMachine, type TestMachine } from "./harness.ts";
import { generateRandomProgram, Rng } from "../diff/random-program.ts";

const MODES: { name: string; options: CpuOptions }[] = [
  { name: "interpreter", options: { jit: false } },
  { name: "jit threshold 1", options: { jit: true, jitThreshold: 1 } },
  { name: "jit threshold 3", options: { jit: true, jitThreshold: 3 } },
];

const machine = (options: CpuOptions): TestMachine => makeMachine(8, options);

interface Trace {
  slices: string[];
  final: string;
  compiled: number;
}

function snapshot(m: TestMachine, memLo: number, memHi: number): string {
  const r = m.cpu.getRegisters();
  let h = 0;
  for (let a = memLo; a < memHi; a += 4) h = (Math.imul(h, 31) + m.memory.ram32[a >>> 2]) | 0;
  return JSON.stringify({ ...r, count: m.cpu.instructionCount, mem: h, halted: m.cpu.halted });
}

/** Runs `code` (assembled at 0x10000) until HLT in slices of pseudo-random sizes from `seed`. */
function trace(code: Uint8Array, options: CpuOptions, seed: number, memLo = 0x10000, memHi = 0x40000, limit = 5_000_000): Trace {
  const m = machine(options);
  m.memory.writeBytes(0x10000, code);
  enterFlat(m, 0x10000);
  // Extra data segment 0x20 with base 0x1000 (tests switch FS between it and the flat 0x18).
  const d = new DataView(new ArrayBuffer(8));
  d.setUint32(0, 0x1000ffff, true);
  d.setUint32(4, 0x00cf9200, true);
  m.memory.writeBytes(0x620, new Uint8Array(d.buffer));
  m.cpu.gdtLimit = 39;
  const rng = new Rng(seed);
  const slices: string[] = [];
  let total = 0;
  while (!m.cpu.halted && total < limit) {
    const want = rng.pick([1, 2, 3, 5, 8, 13, 64, 1000, 100000]);
    const n = m.cpu.run(want);
    total += n;
    slices.push(`${n} ${m.cpu.eip}`);
    if (slices.length % 64 === 0) slices.push(snapshot(m, memLo, memHi));
  }
  return { slices, final: snapshot(m, memLo, memHi), compiled: m.cpu.jit?.compiled ?? 0 };
}

function expectSameEverywhere(code: Uint8Array, seed: number, memLo?: number, memHi?: number): Trace[] {
  const traces = MODES.map((mode) => trace(code, mode.options, seed, memLo, memHi));
  for (let i = 1; i < traces.length; i++) {
    const a = traces[0]!, b = traces[i]!;
    let k = 0;
    while (k < a.slices.length && a.slices[k] === b.slices[k]) k++;
    expect(b.slices[k], `${MODES[i]!.name}: first differing slice ${k}`).toBe(a.slices[k]);
    expect(b.final, MODES[i]!.name).toBe(a.final);
  }
  expect(traces[0]!.final).toContain('"halted":true');
  expect(traces[1]!.compiled, "blocks were compiled").toBeGreaterThan(0);
  return traces;
}

/** A random instruction stream of the differential suite, as a subroutine run several times. */
function randomProgram(seed: number): Uint8Array {
  const g = generateRandomProgram(seed, 300);
  const body = g.source
    .split("\n")
    .filter((l) => !/^\s*(DUMP|DUMPMEM|%include)/.test(l) && !/^\s*;/.test(l))
    .join("\n");
  return assemble(
    `${FLAT_PRELUDE}
start:
  mov dword [iter], 4
again:
  call test_main
  dec dword [iter]
  jnz again
  hlt
; stand-ins for the diff harness's symbols (this test runs on enterFlat's GDT: 0x18 = flat data)
%define SEL_DATA0 0x18
sys_init:
  ret
${body}
align 16
iter: dd 0
scratch: times 80 dd 0
`,
    32,
    0x10000,
  );
}

describe("block compiler", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`random instruction stream ${seed}: compiled and interpreted runs agree slice by slice`, () => {
      expectSameEverywhere(randomProgram(seed), seed);
    });
  }

  it("control flow, stack, segment overrides and interpreter fallbacks inside blocks agree", () => {
    const code = assemble(
      `${FLAT_PRELUDE}
  mov ecx, 300
  xor ebx, ebx
  mov esi, 0x20000
outer:
  push ecx
  mov eax, ecx
  imul eax, eax, 13
  xor edx, edx
  mov edi, 7
  div edi                      ; fallback that continues the block
  add ebx, edx
  call func
  mov [esi + ecx*4], eax
  movzx edx, byte [esi + ecx*4 + 1]
  movsx edi, word [esi + ecx*2]
  add ebx, edx
  sub ebx, edi
  cmp eax, 1000
  setb dl
  seta byte [esi]
  cmovl eax, ebx
  lea eax, [eax + ebx*2 + 5]
  shl eax, cl
  sar ebx, 1
  rol edx, 3
  adc eax, ebx
  sbb edx, ecx
  test al, 3
  jz .z
  inc dword [esi + 8]
  jmp .j
.z:
  dec word [esi + 12]
.j:
  mov edx, tbl
  jmp [edx]                    ; indirect jump through memory
back:
  mov edi, 0x21000
  push esi
  mov esi, 0x20000
  push ecx
  mov ecx, 16
  cld
  rep movsd                    ; string fallback
  pop ecx
  pop esi
  pushfd
  pop eax
  and eax, 0x8d5
  add [esi + 16], eax
  mov [0x20100], al
  mov eax, [0x20100]
  xchg eax, [esi + 20]
  neg dword [esi + 24]
  not byte [esi + 25]
  pop ecx
  dec ecx
  jnz outer
  mov eax, ebx
  cdq
  cwde
  jecxz .done
  hlt
.done:
  hlt
func:
  push ebp
  mov ebp, esp
  mov eax, [ebp + 8]
  and eax, 0xff
  or eax, 0x100
  pop ebp
  ret
tbl: dd back
`,
      32,
      0x10000,
    );
    expectSameEverywhere(code, 99);
  });

  it("segment bases are read at run time: one compiled block with FS at two bases", () => {
    const code = assemble(
      `${FLAT_PRELUDE}
  mov dword [0x20000], 0x11111111
  mov dword [0x21000], 0x22222222
  mov ecx, 100
  xor ebx, ebx
again:
  mov ax, 0x18
  test ecx, 1
  jz .flat
  mov ax, 0x20
.flat:
  mov fs, ax
  mov eax, [fs:0x20000]        ; 0x11111111 or 0x22222222 depending on FS.base
  add ebx, eax
  mov [fs:0x20100], ecx
  add byte [fs:0x20200], 1
  dec ecx
  jnz again
  hlt
`,
      32,
      0x10000,
    );
    const traces = expectSameEverywhere(code, 21);
    expect(JSON.parse(traces[1]!.final).ebx).toBe((50 * 0x11111111 + 50 * 0x22222222) >>> 0);
  });

  it("a block compiled while DS and SS had base 0 is not run once their base is not 0", () => {
    // The loop body (a function called through the stack) is compiled while DS = SS = 0x18
    // (base 0), which leaves their bases out of its addresses; then DS and SS become 0x20
    // (base 0x1000) and the same code must address 0x1000 higher.
    const code = assemble(
      `${FLAT_PRELUDE}
  mov dword [0x20000], 0x11111111
  mov dword [0x21000], 0x22222222
  xor ebx, ebx
  mov ecx, 60
.flat:
  call body
  dec ecx
  jnz .flat
  mov ax, 0x20
  mov ds, ax
  mov ss, ax
  sub esp, 0x1000               ; the same stack memory through SS.base 0x1000
  mov ecx, 40
.based:
  call body
  dec ecx
  jnz .based
  mov ax, 0x18
  mov ds, ax
  mov ss, ax
  add esp, 0x1000
  hlt
body:
  mov eax, [0x20000]           ; 0x11111111 with DS.base 0, 0x22222222 with 0x1000
  add ebx, eax
  push eax
  pop edx
  mov [0x20100], ecx
  ret
`,
      32,
      0x10000,
    );
    const traces = expectSameEverywhere(code, 33);
    expect(JSON.parse(traces[1]!.final).ebx).toBe((60 * 0x11111111 + 40 * 0x22222222) >>> 0);
    expect(traces[1]!.compiled).toBeGreaterThan(0);
  });

  it("SSE2, COMISS and multi-byte NOPs inside hot blocks (run by the interpreter there) agree", () => {
    // A glibc-style scan: SSE2 compares and a mask feed integer code and branches in one block.
    const code = assemble(
      `${FLAT_PRELUDE}
  mov eax, cr4
  or eax, 0x600                 ; OSFXSR, OSXMMEXCPT
  mov cr4, eax
  mov eax, cr0
  and eax, ~4                   ; EM off
  or eax, 2                     ; MP
  mov cr0, eax
  mov edi, 0x20000
  mov ecx, 64
.fill:
  lea eax, [ecx * 3 + 7]
  mov [edi], eax
  add edi, 4
  dec ecx
  jnz .fill
  mov dword [0x20100], 0x3f800000 ; 1.0f
  xor ebx, ebx
  xor esi, esi
  mov ecx, 300
again:
  nop dword [eax + eax * 1 + 0]
  mov edx, ecx
  and edx, 0xf0
  movdqu xmm0, [0x20000 + edx]
  pxor xmm1, xmm1
  pcmpeqb xmm1, xmm0
  pmovmskb eax, xmm1
  add ebx, eax
  paddd xmm0, xmm0
  movdqu [0x20200 + edx], xmm0
  cvtsi2ss xmm2, ecx
  comiss xmm2, [0x20100]
  jbe .small
  inc esi
.small:
  nop word [eax + eax * 1 + 0]
  add ebx, esi
  dec ecx
  jnz again
  movd eax, xmm0
  hlt
`,
      32,
      0x10000,
    );
    const traces = expectSameEverywhere(code, 44);
    expect(traces[1]!.compiled).toBeGreaterThan(0);
    expect(JSON.parse(traces[0]!.final).esi).toBe(299);
  });

  it("self-modifying code: a store that rewrites an instruction of a hot block takes effect at once", () => {
    const code = assemble(
      `${FLAT_PRELUDE}
  mov ecx, 200
  xor ebx, ebx
again:
  mov eax, ecx
  and eax, 7
  mov [patch + 1], eax         ; rewrites the immediate below, in this very block
patch:
  mov edx, 0x12345678
  add ebx, edx
  mov byte [patch2], 0x40      ; patch2 becomes INC EAX (was NOP) on the first pass
  mov eax, ebx
patch2:
  nop
  add ebx, eax
  dec ecx
  jnz again
  hlt
`,
      32,
      0x10000,
    );
    const traces = expectSameEverywhere(code, 5);
    // The value the interpreter computes (stale code would have added 0x12345678 again).
    expect(JSON.parse(traces[1]!.final).ebx).toBe(JSON.parse(traces[0]!.final).ebx);
  });

  it("a page fault in the middle of a block is delivered at the faulting instruction and the block resumes", () => {
    const code = assemble(
      `${FLAT_PRELUDE}
  SET_GATE 14, pf_handler
  ; identity map 0-4 MiB (page table at 0x30000, directory at 0x31000), page 0x300000 not present
  mov edi, 0x30000
  mov eax, 0x3
  mov ecx, 1024
.fill:
  mov [edi], eax
  add edi, 4
  add eax, 0x1000
  loop .fill
  and dword [0x30000 + 0x300 * 4], ~1
  mov dword [0x31000], 0x30003
  mov eax, 0x31000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  mov dword [0x300000 - 0x300000 + 0x20000], 0
  mov esi, 0
  xor ebx, ebx
lp:
  mov eax, 1
  add ebx, eax
  mov edx, [0x300000 + esi*4]  ; faults whenever the page is unmapped
  add edx, 5
  add ebx, edx
  mov [0x20000 + esi*4], ebx
  inc esi
  test esi, 7
  jnz .keep
  and dword [0x30000 + 0x300 * 4], ~1  ; unmap again every 8 iterations
  invlpg [0x300000]
.keep:
  cmp esi, 200
  jb lp
  mov eax, [pfcount]
  hlt
pf_handler:
  push eax
  mov eax, cr2
  mov [lastcr2], eax
  or dword [0x30000 + 0x300 * 4], 1
  invlpg [0x300000]
  inc dword [pfcount]
  pop eax
  add esp, 4
  iret
pfcount: dd 0
lastcr2: dd 0
`,
      32,
      0x10000,
    );
    const traces = expectSameEverywhere(code, 11);
    const final = JSON.parse(traces[1]!.final);
    expect(final.eax).toBe(200 / 8);
  });

  it("a CR3 switch between two address spaces mapping one linear page to different code runs the right code", () => {
    const code = assemble(
      `${FLAT_PRELUDE}
  ; two page tables: both identity map 0-4 MiB except linear 0x200000, which maps to 0x300000 in A
  ; and to 0x301000 in B; linear 0x201000 maps to 0x300000 in both (same code, other EIP).
  mov edi, 0x30000
  mov eax, 0x3
  mov ecx, 1024
.fill:
  mov [edi], eax
  mov [edi + 0x2000], eax
  add edi, 4
  add eax, 0x1000
  loop .fill
  mov dword [0x30000 + 0x200 * 4], 0x300003
  mov dword [0x32000 + 0x200 * 4], 0x301003
  mov dword [0x30000 + 0x201 * 4], 0x300003
  mov dword [0x32000 + 0x201 * 4], 0x300003
  mov dword [0x31000], 0x30003
  mov dword [0x33000], 0x32003
  ; code A at 0x300000: ebx += 1, eax = its own address; code B at 0x301000: ebx += 100
  mov esi, codeA
  mov edi, 0x300000
  mov ecx, codeA_end - codeA
  rep movsb
  mov esi, codeB
  mov edi, 0x301000
  mov ecx, codeB_end - codeB
  rep movsb
  mov eax, 0x31000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  xor ebx, ebx
  xor ebp, ebp
  mov ecx, 100
again:
  mov eax, 0x31000
  mov cr3, eax
  mov edx, 0x200000
  call edx
  add ebp, eax                ; + 0x200000 + 5
  mov edx, 0x201000
  call edx                     ; the same physical code at another EIP
  add ebp, eax                 ; + 0x201000 + 5
  mov eax, 0x33000
  mov cr3, eax
  mov edx, 0x200000
  call edx
  dec ecx
  jnz again
  hlt
codeA:
  call .here
.here:
  pop eax
  inc ebx
  ret
codeA_end:
codeB:
  add ebx, 100
  xor eax, eax
  ret
codeB_end:
`,
      32,
      0x10000,
    );
    const traces = expectSameEverywhere(code, 3);
    for (const t of traces) {
      const f = JSON.parse(t.final);
      expect(f.ebx).toBe(100 * 101 + 100);
      expect(f.ebp).toBe((100 * (0x200005 + 0x201005)) >>> 0);
    }
  });

  it("two CPUs keep separate caches, and { jit: false } has none", () => {
    const a = machine({ jit: true, jitThreshold: 1 });
    const b = machine({});
    const c = machine({ jit: false });
    // (Booleans: a failing toBe on CPU objects would try to print megabytes of typed arrays.)
    expect(a.cpu.jit !== null && b.cpu.jit !== null && a.cpu.jit !== b.cpu.jit).toBe(true);
    expect(c.cpu.jit === null).toBe(true);
    const code = assemble("mov ecx, 50\n.l: add eax, ecx\n dec ecx\n jnz .l\n hlt\n", 32, 0x10000);
    a.memory.writeBytes(0x10000, code);
    enterFlat(a, 0x10000);
    for (let i = 0; i < 100 && !a.cpu.halted; i++) a.cpu.run(1000);
    expect(a.cpu.halted).toBe(true);
    expect(a.cpu.jit!.compiled).toBeGreaterThan(0);
    expect(b.cpu.jit!.compiled).toBe(0);
    expect(a.cpu.r32[0]).toBe((50 * 51) / 2);
  });

  it("external writes (DMA, loaders) and state loads drop compiled code", () => {
    const m = machine({ jit: true, jitThreshold: 1 });
    const run = (src: string) => {
      m.memory.writeBytes(0x10000, assemble(src, 32, 0x10000));
      enterFlat(m, 0x10000);
      while (!m.cpu.halted) m.cpu.run(1000);
      return m.cpu.r32[0];
    };
    expect(run("mov ecx, 10\nxor eax, eax\n.l: add eax, 1\n dec ecx\n jnz .l\n hlt\n")).toBe(10);
    expect(run("mov ecx, 10\nxor eax, eax\n.l: add eax, 3\n dec ecx\n jnz .l\n hlt\n")).toBe(30);
    const saved = m.cpu.saveState();
    m.cpu.loadState(saved);
    expect(m.cpu.jit!.size).toBe(0);
  });
});
