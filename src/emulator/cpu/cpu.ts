// The i686-class integer CPU: architectural state, the run loop, linear memory access through the
// software TLB, instruction fetch, the stack, and the glue to the decode table (decoder.ts), the
// instruction families, segmentation, paging, interrupts and the x87/SIMD units.

import type { PhysicalMemory } from "../memory.ts";
import type { IOBus } from "../io-bus.ts";
import type { VirtualClock } from "../clock.ts";
import type { CpuInterruptController } from "../device.ts";
import type { SavedState, Stateful } from "../state.ts";
import type { CoprocessorHost, SimdUnit, X87Unit } from "./coprocessor.ts";
import { AC, ARITH, CF, EFLAGS_IMPLEMENTED, IF, OF, PF, RF, SF, TF, VM, ZF, AF, arithFlags, materializeFlags } from "./flags.ts";
import { OPCODE_TABLE } from "./decoder.ts";
import { translate, TLB_GLOBAL, TLB_LARGE, TLB_NOCODE, TLB_NX, TLB_RAM, TLB_SWRITE, TLB_UREAD, TLB_UWRITE, TLB_VALID } from "./paging.ts";
import { BlockCache, type Block } from "./jit/block-cache.ts";
import { deliverPendingFault, serviceEvents, deliverInterrupt } from "./interrupts.ts";
import { loadSegmentRealMode, setSegmentCache } from "./segmentation.ts";
import { checkOperandLinear, checkSegRead, checkSegWrite, updateAllSegChecks } from "./seg-limits.ts";
import { CPU_STATE } from "./cpu-state.ts";
import { checkDataBreakpoints, instructionBreakpointHit, updateBreakpoints, type HostDebugger } from "./debug.ts";
import { createCoprocessors } from "./coprocessor-units.ts";

import { CS, DS, EDI, EDX, ES, ESP, EVENTS_ONE, EVENTS_STOP, EXC_DB, FS, GS, INT_EXCEPTION_TRAP, SS, CPU_SIGNATURE, TSC_GHZ } from "./constants.ts";
export * from "./constants.ts";

/** Thrown (one preallocated instance per CPU) to abandon the current instruction on a fault. */
export class CpuFault {
  vector = 0;
  errorCode = -1;
  /** A #DB for an instruction breakpoint: the one fault whose pushed EFLAGS image keeps RF clear. */
  instructionBreakpoint = false;
}

export interface CpuRegisters {
  eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number;
  eip: number; eflags: number;
  cs: number; ds: number; es: number; fs: number; gs: number; ss: number;
  csBase: number; dsBase: number; esBase: number; fsBase: number; gsBase: number; ssBase: number;
  cr0: number; cr2: number; cr3: number; cr4: number;
  cpl: number;
}


const TLB_LIST_MAX = 8192;

/** First byte of the page after `lin`'s: where a split access faults (CR2) if that page is missing. */
const nextPage = (lin: number) => ((lin | 0xfff) + 1) | 0;

export interface CpuOptions {
  /** Compile hot 32-bit code to JavaScript (default true); false = pure interpreter. */
  jit?: boolean;
  /** Executions of a block start before it is compiled (default jit/block-cache.ts DEFAULT_THRESHOLD; tests use 1). */
  jitThreshold?: number;
}

export class CPU implements Stateful, CoprocessorHost {
  // ---- general registers ----
  readonly r32 = new Int32Array(8);
  readonly r16 = new Uint16Array(this.r32.buffer);
  readonly r8 = new Uint8Array(this.r32.buffer);
  eip = 0;

  // ---- flags (see flags.ts) ----
  flags = 2;
  lazy = 0;
  lfKind = 0;
  lfShift = 31;
  lfOp1 = 0;
  lfOp2 = 0;
  lfRes = 0;

  // ---- segments: selector + descriptor cache ----
  readonly segSel = new Uint16Array(6);
  readonly segBase = new Int32Array(6);
  /** Effective byte limit (granularity applied), unsigned in an Int32Array: compare with >>> 0. */
  readonly segLimit = new Int32Array(6);
  /** Descriptor bits 40..55: access byte (type, S, DPL, P) and flags nibble (AVL, L, D/B, G) at 12..15. */
  readonly segAttr = new Int32Array(6);
  /** Per segment: 1 when an access through it may fault (not flat 4 GiB expand-up, a null
   *  selector, a type that forbids reads or writes in protected mode) or alignment checking is on,
   *  0 when every access is valid and the access paths skip the check (seg-limits.ts, recomputed
   *  whenever segLimit/segAttr or the mode change). */
  readonly segCheck = new Uint8Array(6);
  /** Offsets valid for reads segLo[n]..segHi[n] and for writes segWLo[n]..segWHi[n] of each
   *  segment (lo > hi: none, e.g. writes through code or read-only data). */
  readonly segLo = new Float64Array(6);
  readonly segHi = new Float64Array(6);
  readonly segWLo = new Float64Array(6);
  readonly segWHi = new Float64Array(6);
  /** Bit n = segCheck[n]: a compiled block runs only when none of the segments it uses is checked. */
  segCheckMask = 0;
  /** Bit n: segBase[n] is not 0. Compiled blocks leave out the base of segments that had base 0
   *  when they were compiled, and run only while those still have. */
  segBaseNonZero = 0;
  /** Segment types restrict data accesses (protected mode, not virtual-8086 mode). */
  segTypesActive = false;
  /** Alignment checking (#AC): CR0.AM, EFLAGS.AC and CPL 3; forces every segment's check on. */
  alignCheck = false;
  /** CS limit (unsigned): instruction fetches and branch targets beyond it are #GP(0). */
  codeLimit = 0xffff;
  gdtBase = 0; gdtLimit = 0xffff;
  idtBase = 0; idtLimit = 0x3ff;
  ldtSel = 0; ldtBase = 0; ldtLimit = 0; ldtAttr = 0;
  trSel = 0; trBase = 0; trLimit = 0; trAttr = 0;

  // ---- control and debug ----
  cr0 = 0x60000010;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8);
  /** PAE: the four PDPTEs (lo, hi pairs) loaded when CR3 was (see paging-pae.ts loadPdptes). */
  readonly pdpte = new Int32Array(8);
  /** IA32_EFER: only NXE (bit 11) exists on this CPU (no long mode, no SYSCALL). */
  efer = 0;
  cpl = 0;
  /** CS.D: default operand/address size of the code segment. */
  code32 = false;
  /** SS.B: ESP (true) or SP (false) addresses the stack. */
  stack32 = false;
  stackMask = 0xffff;

  // ---- MSRs (msr.ts) ----
  sysenterCs = 0; sysenterEsp = 0; sysenterEip = 0;
  apicBase = 0xfee00900;
  tscOffset = 0;
  readonly mtrr = new Int32Array(64); // plain storage, see msr.ts for the index map
  patLo = 0x00070406; patHi = 0x00070406;
  miscEnable = 1;

  // ---- per-instruction decode state ----
  o32 = false;
  a32 = false;
  /** Segment override (0-5) or -1. */
  segOvr = -1;
  /** 0, 0xF2 (REPNE) or 0xF3 (REP/REPE). */
  rep = 0;
  lockPrefix = false;
  /** 0, 0x66, 0xF2, 0xF3: mandatory prefix for SIMD opcodes (last F2/F3 wins over 66). */
  simdPrefix = 0;
  prefixCount = 0;
  instrStart = 0;
  modrm = 0;
  /** Effective address: offset within segment, segment index, linear address. */
  eaOff = 0;
  eaSeg = 0;
  ea = 0;
  /** segCheck of the memory operand's segment (set with ea): the access must be limit-checked. */
  eaCheck = 0;

  // ---- scratch for multi-step operations (no allocation on the way) ----
  /** Descriptor last read by readDescriptor: its two dwords and linear address. */
  descLo = 0;
  descHi = 0;
  descAddr = 0;
  /** Inner stack read from the TSS by readTssStack. */
  tssSs = 0;
  tssEsp = 0;
  /** High half of the last 32x32 multiply, remainder of the last 64/32 divide. */
  mulHi = 0;
  divRem = 0;
  readonly scratch = new Int32Array(40);
  /** Any DR7-enabled breakpoint: instruction breakpoints are checked between instructions. */
  debugActive = false;
  /** A data breakpoint is armed: translate() keeps watched pages off the direct-RAM fast path. */
  watchActive = false;
  /** An I/O breakpoint is armed (DR7 R/W = 10b with CR4.DE): port accesses are checked. */
  ioWatchActive = false;
  /** A data or I/O breakpoint matched during the current instruction (#DB trap after it). */
  dataBreakpointHit = false;
  /** A host debugger (GDB stub) attached; see debug.ts HostDebugger. Call updateBreakpoints() after
   *  setting it or changing what it has armed. */
  hostDebugger: HostDebugger | null = null;
  /** The last run() ended because the host debugger stopped the CPU. */
  debugStopped = false;

  // ---- events ----
  halted = false;
  intrLine = false;
  nmiPending = false;
  nmiBlocked = false;
  /** Set whenever something may need the slow event check between instructions. */
  eventPending = true;
  /** Interrupt shadow (MOV SS, POP SS, STI): no interrupt before the next instruction completes. */
  shadow = false;
  stopRequested = false;
  /** Exceptions in flight, for double/triple fault detection. */
  deliveringVector = -1;
  readonly fault = new CpuFault();
  instructionCount = 0;
  interruptsDelivered = 0;

  // ---- software TLB: per linear page (physPage ^ linPage) << 12 | TLB_* permission bits ----
  readonly tlb = new Int32Array(1 << 20);
  readonly tlbList = new Int32Array(TLB_LIST_MAX);
  tlbCount = 0;
  tlbOverflow = false;
  readMask = TLB_VALID | TLB_RAM;
  writeMask = TLB_VALID | TLB_SWRITE | TLB_RAM;
  /** The cached code page as an EIP window: while fetchLo <= eip < fetchHi, the byte at eip is
   *  ram[eip + fetchDelta]. An empty window (lo > hi) forces the slow path. */
  fetchLo = 1;
  fetchHi = 0;
  fetchDelta = 0;

  interruptController: CpuInterruptController | null = null;
  onTripleFault: ((reason: string) => void) | null = null;
  /** Owner of MSR 0x1B (IA32_APIC_BASE): the platform's local APIC. RDMSR/WRMSR 0x1B go to it (after
   *  the CPU's reserved-bit checks); while null the CPU keeps the value as plain storage. */
  apicBaseMsr: { read(): number; write(value: number): void } | null = null;
  /** Legacy x87 error reporting (CR0.NE=0): the platform raises IRQ13. */
  onFpuIrq13: (() => void) | null = null;
  /** Called for opcodes the core does not know, before #UD is raised (debugging aid). */
  onUnknownOpcode: ((opcode: number, linearEip: number) => void) | null = null;

  readonly ram: Uint8Array;
  readonly ram16: Uint16Array;
  readonly ram32: Int32Array;
  readonly x87: X87Unit;
  readonly simd: SimdUnit;
  /** Whether real x87/SIMD units are present (CPUID reports FPU/MMX/SSE only then). */
  readonly hasFpu: boolean;
  readonly hasSimd: boolean;

  // ---- block compiler (jit/) ----
  /** null when the CPU was built with { jit: false }. */
  readonly jit: BlockCache | null;
  /** The compiled block being run (fault accounting, self-modifying-code checks). */
  jitBlock: Block | null = null;
  /** Set when the running block's page is written: the block returns after the current instruction. */
  jitSmc = false;
  /** Instructions the running block completed before entering its current superblock, and that
   *  superblock's case label (fault accounting). */
  jitLoopDone = 0;
  jitPc = 0;

  constructor(
    readonly memory: PhysicalMemory,
    readonly io: IOBus,
    readonly clock: VirtualClock,
    options: CpuOptions = {},
  ) {
    this.ram = memory.ram;
    this.ram16 = memory.ram16;
    this.ram32 = memory.ram32;
    const units = createCoprocessors(this);
    this.x87 = units.x87;
    this.simd = units.simd;
    this.hasFpu = units.hasFpu;
    this.hasSimd = units.hasSimd;
    this.jit = options.jit === false ? null : new BlockCache(this, { threshold: options.jitThreshold });
    // A range that changes its backing (MMIO mapped or unmapped over it) loses its compiled code
    // and the translations that reach it. The A20 gate changes where addresses with bit 20 set go:
    // the TLB (physical pages after the A20 mask) goes, compiled code (keyed by physical page) stays,
    // but a running block stops (its next instructions were fetched through the old alias).
    memory.onMapChange((base, size) => {
      this.jit?.invalidateMapChange(base, size);
      this.flushTlbPhysical(base >>> 12, (base + size - 1) >>> 12);
    });
    memory.onA20Change(() => {
      if (this.jitBlock !== null) this.jitSmc = true;
      // Without paging, physical = linear & A20 mask: only linear pages with bit 20 set move.
      if ((this.cr0 & 0x80000000) === 0) this.dropTlbEntries(1, 0, 1 << (20 - 12));
      else this.flushTlb(false);
    });
    // DMA and loaders may overwrite compiled code.
    memory.onExternalWrite((addr, length) => this.jit?.noteRange(addr, length));
    this.reset();
  }

  // =========================== public API ===========================

  reset(): void {
    this.r32.fill(0);
    this.r32[EDX] = CPU_SIGNATURE;
    this.eip = 0xfff0;
    this.flags = 2;
    this.lazy = 0;
    this.cr0 = 0x60000010;
    this.cr2 = this.cr3 = this.cr4 = 0;
    this.pdpte.fill(0);
    this.efer = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    updateBreakpoints(this); // none armed: debugActive, watchActive, ioWatchActive clear
    for (let s = 0; s < 6; s++) setSegmentCache(this, s, 0, 0, 0xffff, 0x93);
    setSegmentCache(this, CS, 0xf000, 0xffff0000 | 0, 0xffff, 0x9b);
    this.gdtBase = 0; this.gdtLimit = 0xffff;
    this.idtBase = 0; this.idtLimit = 0x3ff;
    this.ldtSel = 0; this.ldtBase = 0; this.ldtLimit = 0xffff; this.ldtAttr = 0x82;
    this.trSel = 0; this.trBase = 0; this.trLimit = 0xffff; this.trAttr = 0x8b;
    this.cpl = 0;
    this.sysenterCs = this.sysenterEsp = this.sysenterEip = 0;
    this.apicBase = 0xfee00900 | 0;
    this.tscOffset = -this.clockTicks();
    this.mtrr.fill(0);
    this.patLo = this.patHi = 0x00070406;
    this.halted = false;
    this.nmiPending = false;
    this.nmiBlocked = false;
    this.shadow = false;
    this.deliveringVector = -1;
    this.eventPending = true;
    this.jit?.flush();
    this.updateCpuMode();
    this.flushTlb(false);
    this.x87.reset();
    this.simd.reset();
  }

  run(maxInstructions: number): number {
    let executed = 0;
    this.stopRequested = false;
    this.debugStopped = false;
    while (executed < maxInstructions) {
      if (this.eventPending) {
        const r = serviceEvents(this);
        if (r === EVENTS_STOP) break;
        if (r === EVENTS_ONE) {
          // Shadowed, traced or breakpoint-watched instruction: exactly one, then look again.
          const tf = (this.flags & TF) !== 0;
          this.dataBreakpointHit = false;
          const host = this.hostDebugger;
          if (host !== null && host.breakBefore((this.segBase[CS] + this.eip) | 0, (this.flags & RF) !== 0)) {
            this.debugStopped = true;
            break;
          }
          try {
            // RF set (by IRET, a task switch, an interrupted REP string instruction) suppresses the
            // instruction breakpoints of this one instruction; RF is cleared at its start (SDM
            // 17.3.1.1). RF can only be set while eventPending is, so instructions run here then.
            if ((this.flags & RF) !== 0) this.flags &= ~RF;
            else if (this.debugActive && instructionBreakpointHit(this)) {
              this.instrStart = this.eip;
              this.fault.vector = EXC_DB;
              this.fault.errorCode = -1;
              this.fault.instructionBreakpoint = true;
              throw this.fault;
            }
            this.step();
            if (tf || this.dataBreakpointHit) this.debugTrap(tf);
          } catch (e) {
            if (e !== this.fault) throw e;
            deliverPendingFault(this);
          }
          executed++;
          this.eventPending = true;
          if (host !== null && host.breakAfter()) {
            this.debugStopped = true;
            break;
          }
          continue;
        }
      }
      try {
        if (this.jit !== null) executed = this.runCompiled(executed, maxInstructions);
        else {
          do {
            this.step();
          } while (++executed < maxInstructions && !this.eventPending);
        }
      } catch (e) {
        if (e !== this.fault) throw e;
        const b = this.jitBlock;
        if (b !== null) {
          // Instructions of the block before the faulting one completed; the faulting one counts too.
          this.jitBlock = null;
          executed += this.jitExecuted + this.jitLoopDone;
          const eips = b.sbEips[this.jitPc]!;
          let i = eips.indexOf(this.instrStart);
          if (i < 0) i = eips.length - 1;
          executed += i + 1;
        } else executed += this.jitExecuted + 1;
        this.jitExecuted = 0;
        deliverPendingFault(this);
      }
    }
    this.instructionCount += executed;
    return executed;
  }

  /** Instructions retired by runCompiled's current call (read back when a fault unwinds it). */
  private jitExecuted = 0;

  /** The run loop with the block compiler: compiled blocks where the cache has them (32-bit code and
   *  stack only), the interpreter otherwise. Returns the new executed count. */
  private runCompiled(start: number, max: number): number {
    const jit = this.jit!;
    let executed = start;
    this.jitExecuted = 0;
    // Blocks are entered only where control arrives by a jump (a branch, call, return, interrupt,
    // a block's exit): after an interpreted instruction that just moved on to the next one, the
    // next is no block start worth asking the cache about (loop heads are reached by jumps too).
    let lookup = true;
    do {
      if (lookup && this.code32 && this.stack32) {
        const eip = this.eip;
        let phys = -1;
        if (eip >= this.fetchLo && eip < this.fetchHi) phys = eip + this.fetchDelta;
        else {
          const lin = (this.segBase[CS] + eip) | 0;
          const e = this.tlb[lin >>> 12];
          // An execute-disabled page is left to step(): its fetch walks and raises the #PF.
          if ((e & (this.readMask | TLB_NX)) === this.readMask) phys = ((e & ~0xfff) ^ lin) >>> 0;
        }
        if (phys >= 0) {
          const b = jit.find(phys, eip);
          // A block assumes the segments it uses are flat (no segment checks in compiled code), and
          // that its code and direct branch targets lie inside the CS limit.
          if (b !== null && executed + b.len <= max && (b.segUse & this.segCheckMask) === 0 && (b.segZero & this.segBaseNonZero) === 0 && b.eipMax <= this.codeLimit) {
            this.jitSmc = false;
            this.jitBlock = b;
            this.jitLoopDone = 0;
            this.jitPc = 0;
            this.jitExecuted = executed - start;
            executed += b.fn!(this, max - executed);
            this.jitBlock = null;
            continue;
          }
        }
      }
      this.jitExecuted = executed - start;
      const before = this.eip;
      this.step();
      executed++;
      const moved = this.eip - before;
      lookup = moved <= 0 || moved > 15;
    } while (executed < max && !this.eventPending);
    this.jitExecuted = 0;
    return executed;
  }

  requestStop(): void {
    this.stopRequested = true;
    this.eventPending = true;
  }

  setIntrLine(level: boolean): void {
    this.intrLine = level;
    if (level) this.eventPending = true;
  }

  raiseNmi(): void {
    this.nmiPending = true;
    this.eventPending = true;
  }

  /** Puts the CPU in 32-bit flat protected mode at CPL 0 (direct kernel boot, tests). */
  enterFlatProtectedMode(
    entry: number,
    regs: Partial<Record<"eax" | "ebx" | "ecx" | "edx" | "esi" | "edi" | "ebp" | "esp", number>>,
  ): void {
    this.cr0 = (this.cr0 | 1) & ~(0x80000000 | 0);
    this.setEflags(2);
    const code = 0xcf9b, data = 0xcf93;
    for (let s = 0; s < 6; s++) setSegmentCache(this, s, s === CS ? 0x10 : 0x18, 0, 0xffffffff | 0, data);
    setSegmentCache(this, CS, 0x10, 0, 0xffffffff | 0, code);
    this.cpl = 0;
    const names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
    for (let i = 0; i < 8; i++) {
      const v = regs[names[i]];
      if (v !== undefined) this.r32[i] = v;
    }
    this.eip = entry | 0;
    this.halted = false;
    this.updateCpuMode();
    this.flushTlb(false);
    this.eventPending = true;
  }

  getRegisters(): CpuRegisters {
    const r = this.r32;
    return {
      eax: r[0] >>> 0, ecx: r[1] >>> 0, edx: r[2] >>> 0, ebx: r[3] >>> 0,
      esp: r[4] >>> 0, ebp: r[5] >>> 0, esi: r[6] >>> 0, edi: r[7] >>> 0,
      eip: this.eip >>> 0, eflags: this.getEflags() >>> 0,
      es: this.segSel[ES], cs: this.segSel[CS], ss: this.segSel[SS], ds: this.segSel[DS], fs: this.segSel[FS], gs: this.segSel[GS],
      esBase: this.segBase[ES] >>> 0, csBase: this.segBase[CS] >>> 0, ssBase: this.segBase[SS] >>> 0,
      dsBase: this.segBase[DS] >>> 0, fsBase: this.segBase[FS] >>> 0, gsBase: this.segBase[GS] >>> 0,
      cr0: this.cr0 >>> 0, cr2: this.cr2 >>> 0, cr3: this.cr3 >>> 0, cr4: this.cr4 >>> 0,
      cpl: this.cpl,
    };
  }

  saveState(): SavedState {
    return CPU_STATE.save(this);
  }

  checkState(state: SavedState): void {
    CPU_STATE.check(state, this);
  }

  loadState(state: SavedState): void {
    CPU_STATE.load(this, state);
    // The compiled-code cache is not state: a restored machine rebuilds it lazily.
    this.jit?.flush();
  }

  // =========================== interpreter ===========================

  /** Decodes and executes one instruction (prefixes included). */
  step(): void {
    // Prefix state is already clear here: prefix handlers restore it when their instruction ends,
    // and deliverPendingFault does when it is abandoned.
    this.instrStart = this.eip;
    OPCODE_TABLE[this.fetch8()](this);
  }

  /** Back to "no prefixes": default sizes from CS.D, no override, no REP/LOCK. */
  clearPrefixes(): void {
    this.o32 = this.a32 = this.code32;
    this.segOvr = -1;
    this.rep = 0;
    this.simdPrefix = 0;
    this.lockPrefix = false;
    this.prefixCount = 0;
  }

  /** After an instruction that began with TF=1 (DR6.BS) or hit a data breakpoint: #DB trap. */
  private debugTrap(singleStep: boolean): void {
    if (singleStep) this.dr[6] |= 0x4000;
    this.dataBreakpointHit = false;
    this.instrStart = this.eip;
    deliverInterrupt(this, EXC_DB, -1, INT_EXCEPTION_TRAP);
  }

  // =========================== mode bookkeeping ===========================

  get protectedMode(): boolean {
    return (this.cr0 & 1) !== 0 && (this.flags & VM) === 0;
  }

  get vm86(): boolean {
    return (this.flags & VM) !== 0;
  }

  /** Recomputes cached mode bits after CS/SS/CPL/CR0 changes. */
  updateCpuMode(): void {
    this.code32 = (this.cr0 & 1) !== 0 && (this.flags & VM) === 0 && (this.segAttr[CS] & 0x4000) !== 0;
    this.stack32 = (this.cr0 & 1) !== 0 && (this.flags & VM) === 0 && (this.segAttr[SS] & 0x4000) !== 0;
    this.stackMask = this.stack32 ? -1 : 0xffff;
    if (this.prefixCount === 0) this.o32 = this.a32 = this.code32;
    const user = this.cpl === 3;
    this.readMask = user ? TLB_VALID | TLB_UREAD | TLB_RAM : TLB_VALID | TLB_RAM;
    this.writeMask = (user ? TLB_VALID | TLB_UWRITE | TLB_RAM : TLB_VALID | TLB_SWRITE | TLB_RAM) | (this.jit !== null ? TLB_NOCODE : 0);
    this.fetchLo = 1;
    this.fetchHi = 0;
    updateAllSegChecks(this);
  }

  // =========================== flags ===========================

  getEflags(): number {
    return ((this.flags & ~ARITH) | arithFlags(this) | 2) & (EFLAGS_IMPLEMENTED | 2);
  }

  /** Loads EFLAGS as a whole (the caller has already applied privilege rules). */
  setEflags(v: number): void {
    const old = this.flags;
    this.flags = (v & EFLAGS_IMPLEMENTED) | 2;
    this.lazy = 0;
    this.eventPending = true;
    // VM changes the mode; AC may switch alignment checking (seg-limits.ts).
    if (((this.flags ^ old) & (VM | AC)) !== 0) this.updateCpuMode();
  }

  setCompareFlags(zf: boolean, pf: boolean, cf: boolean): void {
    materializeFlags(this);
    this.flags = (this.flags & ~(OF | SF | AF | ZF | PF | CF)) | (zf ? ZF : 0) | (pf ? PF : 0) | (cf ? CF : 0);
  }

  // =========================== exceptions ===========================

  /** Abandons the current instruction with exception `vector` (errorCode -1 = none). */
  raise(vector: number, errorCode = -1): never {
    this.fault.vector = vector;
    this.fault.errorCode = errorCode;
    this.fault.instructionBreakpoint = false;
    throw this.fault;
  }

  raiseException(vector: number, errorCode?: number): never {
    return this.raise(vector, errorCode ?? -1);
  }

  gp(code = 0): never {
    return this.raise(13, code);
  }

  ud(): never {
    return this.raise(6);
  }

  // =========================== TLB ===========================

  tlbInsert(linPage: number, entry: number): void {
    // Pages without compiled code may be written on the fast path; code pages go through physRead.
    if (this.jit !== null && this.jit.codeChunks[(entry >>> 12) ^ linPage] === 0) entry |= TLB_NOCODE;
    if (this.tlb[linPage] === 0) {
      if (this.tlbCount < TLB_LIST_MAX) this.tlbList[this.tlbCount++] = linPage;
      else this.tlbOverflow = true;
    }
    this.tlb[linPage] = entry;
  }

  /** Drops cached translations; `keepGlobal` keeps PGE global pages (MOV CR3). */
  flushTlb(keepGlobal: boolean): void {
    const tlb = this.tlb;
    if (this.tlbOverflow) {
      if (keepGlobal) {
        let n = 0;
        for (let i = 0; i < tlb.length; i++) {
          const e = tlb[i];
          if (e === 0) continue;
          if ((e & TLB_GLOBAL) === 0) tlb[i] = 0;
          else if (n < TLB_LIST_MAX) this.tlbList[n++] = i;
        }
        this.tlbCount = n;
        this.tlbOverflow = n >= TLB_LIST_MAX;
      } else {
        tlb.fill(0);
        this.tlbCount = 0;
        this.tlbOverflow = false;
      }
    } else {
      const list = this.tlbList;
      let n = 0;
      for (let i = 0; i < this.tlbCount; i++) {
        const p = list[i];
        if (keepGlobal && (tlb[p] & TLB_GLOBAL) !== 0) list[n++] = p;
        else tlb[p] = 0;
      }
      this.tlbCount = n;
    }
    this.fetchLo = 1;
    this.fetchHi = 0;
  }

  /** Drops the cached translations that reach physical pages first..last (a memory-map change). */
  flushTlbPhysical(first: number, last: number): void {
    this.dropTlbEntries(first, last, 0);
  }

  /** Drops the TLB entries that reach physical pages first..last or whose linear page number has a
   *  bit of `linBits` set, keeping the rest (and the list of live entries compact). */
  private dropTlbEntries(first: number, last: number, linBits: number): void {
    // Past the list's capacity a full flush is cheaper than scanning all 2^20 entries.
    if (this.tlbOverflow) return this.flushTlb(false);
    const tlb = this.tlb;
    const list = this.tlbList;
    let n = 0;
    for (let k = 0; k < this.tlbCount; k++) {
      const i = list[k];
      const e = tlb[i];
      if (e === 0) continue;
      const page = ((e >>> 12) ^ i) >>> 0;
      if ((page >= first && page <= last) || (i & linBits) !== 0) tlb[i] = 0;
      else list[n++] = i;
    }
    this.tlbCount = n;
    this.fetchLo = 1;
    this.fetchHi = 0;
  }

  invalidatePage(lin: number): void {
    this.tlb[lin >>> 12] = 0;
    // The address may lie in a 4 MiB (or PAE 2 MiB) page cached as 4 KiB pieces: drop every large
    // piece of the surrounding 4 MiB (a 2 MiB page always lies inside one).
    const first = (lin >>> 22) << 10;
    for (let p = first; p < first + 1024; p++) if ((this.tlb[p] & TLB_LARGE) !== 0) this.tlb[p] = 0;
    this.fetchLo = 1;
    this.fetchHi = 0;
  }

  // =========================== linear memory ===========================

  private physRead(lin: number, write: boolean, size = 1): number {
    if (this.watchActive) checkDataBreakpoints(this, lin, size, write);
    const e = this.tlb[lin >>> 12];
    const need = write ? this.writeMask & ~(TLB_RAM | TLB_NOCODE) : this.readMask & ~TLB_RAM;
    const phys = (e & need) === need ? ((e & ~0xfff) ^ lin) >>> 0 : translate(this, lin, write, this.cpl === 3);
    if (write && this.jit !== null && phys <= 0xffffffff) this.jit.noteWrite(phys, size);
    return phys;
  }

  // Physical accesses off the RAM fast path. Only PAE can produce an address above 4 GiB: nothing
  // is there (reads all ones, writes dropped); see paging-pae.ts.
  private busRead8(p: number): number { return p <= 0xffffffff ? this.memory.read8(p) : 0xff; }
  private busRead16(p: number): number { return p <= 0xffffffff ? this.memory.read16(p) : 0xffff; }
  private busRead32(p: number): number { return p <= 0xffffffff ? this.memory.read32(p) : -1; }
  private busWrite8(p: number, v: number): void { if (p <= 0xffffffff) this.memory.write8(p, v); }
  private busWrite16(p: number, v: number): void { if (p <= 0xffffffff) this.memory.write16(p, v); }
  private busWrite32(p: number, v: number): void { if (p <= 0xffffffff) this.memory.write32(p, v); }

  /** Physical write outside the TLB fast paths (page-table A/D bits): drops compiled code there. */
  jitNoteWrite(phys: number, size: number): void {
    if (this.jit !== null) this.jit.noteWrite(phys, size);
  }

  /** A page now holds compiled code: TLB entries mapping it lose TLB_NOCODE (writes take physRead). */
  jitProtectPage(page: number): void {
    const tlb = this.tlb;
    if (this.tlbOverflow) {
      for (let i = 0; i < tlb.length; i++) {
        const e = tlb[i];
        if (e !== 0 && ((e >>> 12) ^ i) === page) tlb[i] = e & ~TLB_NOCODE;
      }
      return;
    }
    const list = this.tlbList;
    for (let k = 0; k < this.tlbCount; k++) {
      const i = list[k];
      const e = tlb[i];
      if (e !== 0 && ((e >>> 12) ^ i) === page) tlb[i] = e & ~TLB_NOCODE;
    }
  }

  rd8(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if ((e & this.readMask) === this.readMask) return this.ram[((e & ~0xfff) ^ lin) >>> 0];
    return this.busRead8(this.physRead(lin, false));
  }

  rd16(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if ((e & this.readMask) === this.readMask && (lin & 0xfff) !== 0xfff) {
      const p = ((e & ~0xfff) ^ lin) >>> 0;
      return (p & 1) === 0 ? this.ram16[p >>> 1] : this.ram[p] | (this.ram[p + 1] << 8);
    }
    return this.rd16Slow(lin);
  }

  private rd16Slow(lin: number): number {
    if ((lin & 0xfff) === 0xfff) return this.rd8(lin) | (this.rd8((lin + 1) | 0) << 8);
    return this.busRead16(this.physRead(lin, false, 2));
  }

  rd32(lin: number): number {
    const e = this.tlb[lin >>> 12];
    const need = this.readMask;
    if ((e & need) === need && (lin & 0xfff) <= 0xffc) {
      const p = ((e & ~0xfff) ^ lin) >>> 0;
      if ((p & 3) === 0) return this.ram32[p >>> 2];
      const m = this.ram;
      return m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24);
    }
    return this.rd32Slow(lin);
  }

  private rd32Slow(lin: number): number {
    if ((lin & 0xfff) > 0xffc) {
      // Split across pages: check both pages before reading either (no partial effects).
      const a = this.physRead(lin, false), b = this.physRead(nextPage(lin), false);
      void a; void b;
      return this.rd8(lin) | (this.rd8((lin + 1) | 0) << 8) | (this.rd8((lin + 2) | 0) << 16) | (this.rd8((lin + 3) | 0) << 24);
    }
    return this.busRead32(this.physRead(lin, false, 4));
  }

  wr8(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    if ((e & this.writeMask) === this.writeMask) {
      this.ram[((e & ~0xfff) ^ lin) >>> 0] = v;
      return;
    }
    this.busWrite8(this.physRead(lin, true), v & 0xff);
  }

  wr16(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    if ((e & this.writeMask) === this.writeMask && (lin & 0xfff) !== 0xfff) {
      const p = ((e & ~0xfff) ^ lin) >>> 0;
      if ((p & 1) === 0) this.ram16[p >>> 1] = v;
      else {
        this.ram[p] = v;
        this.ram[p + 1] = v >> 8;
      }
      return;
    }
    if ((lin & 0xfff) === 0xfff) {
      this.physRead(lin, true);
      this.physRead(nextPage(lin), true);
      this.wr8(lin, v);
      this.wr8((lin + 1) | 0, v >> 8);
      return;
    }
    this.busWrite16(this.physRead(lin, true, 2), v & 0xffff);
  }

  wr32(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    const need = this.writeMask;
    if ((e & need) === need && (lin & 0xfff) <= 0xffc) {
      const p = ((e & ~0xfff) ^ lin) >>> 0;
      if ((p & 3) === 0) this.ram32[p >>> 2] = v;
      else {
        const m = this.ram;
        m[p] = v;
        m[p + 1] = v >> 8;
        m[p + 2] = v >> 16;
        m[p + 3] = v >> 24;
      }
      return;
    }
    if ((lin & 0xfff) > 0xffc) {
      this.physRead(lin, true);
      this.physRead(nextPage(lin), true);
      for (let i = 0; i < 4; i++) this.wr8((lin + i) | 0, v >> (i * 8));
      return;
    }
    this.busWrite32(this.physRead(lin, true, 4), v | 0);
  }

  /** Checks that a write to [lin, lin+len) would not fault (before a multi-part store). */
  probeWrite(lin: number, len: number): void {
    this.physRead(lin, true);
    if (((lin & 0xfff) + len - 1) > 0xfff) this.physRead(nextPage(lin), true);
  }

  probeRead(lin: number, len: number): void {
    this.physRead(lin, false);
    if (((lin & 0xfff) + len - 1) > 0xfff) this.physRead(nextPage(lin), false);
  }

  /** Supervisor-privilege ("implicit") accesses: descriptor tables, TSS, IDT. */
  sysRd8(lin: number): number {
    return this.busRead8(this.sysPhys(lin, false));
  }
  sysRd16(lin: number): number {
    return this.sysRd8(lin) | (this.sysRd8((lin + 1) | 0) << 8);
  }
  sysRd32(lin: number): number {
    if ((lin & 0xfff) <= 0xffc) return this.busRead32(this.sysPhys(lin, false));
    return this.sysRd16(lin) | (this.sysRd16((lin + 2) | 0) << 16);
  }
  sysWr8(lin: number, v: number): void {
    this.busWrite8(this.sysPhys(lin, true), v & 0xff);
  }
  sysWr16(lin: number, v: number): void {
    this.sysWr8(lin, v);
    this.sysWr8((lin + 1) | 0, v >> 8);
  }
  sysWr32(lin: number, v: number): void {
    if ((lin & 0xfff) <= 0xffc) this.busWrite32(this.sysPhys(lin, true), v | 0);
    else {
      this.sysWr16(lin, v);
      this.sysWr16((lin + 2) | 0, v >> 16);
    }
  }
  private sysPhys(lin: number, write: boolean): number {
    const e = this.tlb[lin >>> 12];
    const need = write ? TLB_VALID | TLB_SWRITE : TLB_VALID;
    const phys = (e & need) === need ? ((e & ~0xfff) ^ lin) >>> 0 : translate(this, lin, write, false);
    if (write && this.jit !== null && phys <= 0xffffffff) this.jit.noteWrite(phys, 4);
    return phys;
  }

  // CoprocessorHost memory (linear addresses, current privilege). The units only ever address the
  // current instruction's memory operand, so the limit check maps the address back to its offset.
  readLinear8(addr: number): number {
    if (this.eaCheck !== 0) checkOperandLinear(this, addr, 1, false);
    return this.rd8(addr | 0);
  }
  readLinear16(addr: number): number {
    if (this.eaCheck !== 0) checkOperandLinear(this, addr, 2, false);
    return this.rd16(addr | 0);
  }
  readLinear32(addr: number): number {
    if (this.eaCheck !== 0) checkOperandLinear(this, addr, 4, false);
    return this.rd32(addr | 0);
  }
  writeLinear8(addr: number, value: number): void {
    if (this.eaCheck !== 0) checkOperandLinear(this, addr, 1, true);
    this.wr8(addr | 0, value);
  }
  writeLinear16(addr: number, value: number): void {
    if (this.eaCheck !== 0) checkOperandLinear(this, addr, 2, true);
    this.wr16(addr | 0, value);
  }
  writeLinear32(addr: number, value: number): void {
    if (this.eaCheck !== 0) checkOperandLinear(this, addr, 4, true);
    this.wr32(addr | 0, value);
  }
  /** A multi-part operand as a whole, before the unit writes any part of it (its limits: a type
   *  that forbids the write faults on the first part, before anything is written). */
  checkOperand(addr: number, length: number): void {
    if (this.eaCheck !== 0) checkOperandLinear(this, addr, length, false);
  }

  // =========================== instruction fetch ===========================

  fetch8(): number {
    const eip = this.eip;
    if (eip >= this.fetchLo && eip < this.fetchHi) {
      this.eip = eip + 1;
      return this.ram[eip + this.fetchDelta];
    }
    return this.fetch8Slow();
  }

  private fetch8Slow(): number {
    // CS limit (SDM 5.3): a byte of the instruction beyond it is #GP(0) at the instruction. The
    // fetch window never extends past the limit (below), so only this path checks.
    const limit = this.codeLimit;
    if (this.eip >>> 0 > limit) this.gp(0);
    const lin = (this.segBase[CS] + this.eip) | 0;
    // Not physRead: instruction fetches do not trigger data breakpoints.
    let e = this.tlb[lin >>> 12];
    const need = this.readMask & ~TLB_RAM;
    // TLB_NX (PAE + EFER.NXE): the walk raises the fetch #PF; data accesses of the page stay allowed.
    const phys = (e & (need | TLB_NX)) === need ? ((e & ~0xfff) ^ lin) >>> 0 : translate(this, lin, false, this.cpl === 3, true);
    e = this.tlb[lin >>> 12];
    if ((e & TLB_RAM) !== 0 && (e & this.readMask) === this.readMask) {
      // Window = the part of this linear page reachable from the current EIP without wrapping.
      let lo = this.eip - (lin & 0xfff);
      let hi = lo + 4096;
      if (limit !== 0xffffffff) {
        // Only EIPs 0..limit (unsigned): cut the window at the limit, and at the unsigned wrap
        // (EIP -1 → 0) on the side the current EIP is on.
        if (this.eip >= 0) {
          lo = Math.max(lo, 0);
          hi = Math.min(hi, limit + 1);
        } else hi = Math.min(hi, 0, limit + 1 - 0x100000000);
      }
      if (lo <= this.eip && hi > this.eip && hi <= 0x7fffffff + 1 && lo >= -0x80000000) {
        this.fetchLo = lo;
        this.fetchHi = hi;
        this.fetchDelta = phys - this.eip;
      }
    }
    this.eip = (this.eip + 1) | 0;
    return this.busRead8(phys);
  }

  fetchS8(): number {
    return (this.fetch8() << 24) >> 24;
  }

  fetch16(): number {
    const eip = this.eip;
    if (eip >= this.fetchLo && eip + 2 <= this.fetchHi) {
      const p = eip + this.fetchDelta;
      this.eip = eip + 2;
      return this.ram[p] | (this.ram[p + 1] << 8);
    }
    const lo = this.fetch8();
    return lo | (this.fetch8() << 8);
  }

  fetch32(): number {
    const eip = this.eip;
    if (eip >= this.fetchLo && eip + 4 <= this.fetchHi) {
      const p = eip + this.fetchDelta;
      const m = this.ram;
      this.eip = eip + 4;
      return m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24);
    }
    const a = this.fetch8(), b = this.fetch8(), c = this.fetch8();
    return a | (b << 8) | (c << 16) | (this.fetch8() << 24);
  }

  fetchImm8(): number {
    return this.fetch8();
  }

  // =========================== stack ===========================

  push16(v: number): void {
    const sp = (this.r32[ESP] - 2) & this.stackMask;
    if (this.segCheck[SS] !== 0) checkSegWrite(this, SS, sp, 2);
    this.wr16((this.segBase[SS] + sp) | 0, v);
    this.setSp(sp);
  }

  push32(v: number): void {
    const sp = (this.r32[ESP] - 4) & this.stackMask;
    if (this.segCheck[SS] !== 0) checkSegWrite(this, SS, sp, 4);
    this.wr32((this.segBase[SS] + sp) | 0, v);
    this.setSp(sp);
  }

  pop16(): number {
    const sp = this.r32[ESP] & this.stackMask;
    if (this.segCheck[SS] !== 0) checkSegRead(this, SS, sp, 2);
    const v = this.rd16((this.segBase[SS] + sp) | 0);
    this.setSp(sp + 2);
    return v;
  }

  pop32(): number {
    const sp = this.r32[ESP] & this.stackMask;
    if (this.segCheck[SS] !== 0) checkSegRead(this, SS, sp, 4);
    const v = this.rd32((this.segBase[SS] + sp) | 0);
    this.setSp(sp + 4);
    return v;
  }

  /** Reads the stack `offset` bytes above the top without popping. */
  peek16(offset: number): number {
    const sp = (this.r32[ESP] + offset) & this.stackMask;
    if (this.segCheck[SS] !== 0) checkSegRead(this, SS, sp, 2);
    return this.rd16((this.segBase[SS] + sp) | 0);
  }
  peek32(offset: number): number {
    const sp = (this.r32[ESP] + offset) & this.stackMask;
    if (this.segCheck[SS] !== 0) checkSegRead(this, SS, sp, 4);
    return this.rd32((this.segBase[SS] + sp) | 0);
  }

  setSp(sp: number): void {
    if (this.stack32) this.r32[ESP] = sp;
    else this.r16[ESP * 2] = sp;
  }

  /** Adds to ESP or SP according to SS.B. */
  addSp(n: number): void {
    this.setSp((this.r32[ESP] + n) & this.stackMask);
  }

  // =========================== misc host-interface ===========================

  getReg32(index: number): number { return this.r32[index & 7]; }
  setReg32(index: number, value: number): void { this.r32[index & 7] = value; }
  setReg16(index: number, value: number): void { this.r16[(index & 7) * 2] = value; }
  signalFpuIrq13(): void { if (this.onFpuIrq13) this.onFpuIrq13(); }
  get operandSize32(): boolean { return this.o32; }
  get currentCs(): number { return this.segSel[CS]; }
  get currentEip(): number { return this.instrStart; }
  get currentDataSelector(): number { return (this.modrm >> 6) === 3 ? 0 : this.segSel[this.eaSeg]; }
  maskMoveAddress(): number {
    // Becomes the instruction's memory operand, so that the unit's byte stores are limit-checked.
    const seg = this.segOvr >= 0 ? this.segOvr : DS;
    this.eaSeg = seg;
    this.eaOff = this.a32 ? this.r32[EDI] : this.r16[EDI * 2];
    this.ea = (this.segBase[seg] + this.eaOff) | 0;
    this.eaCheck = this.segCheck[seg];
    return this.ea >>> 0;
  }
  get currentDataOffset(): number { return (this.modrm >> 6) === 3 ? 0 : this.eaOff; }

  /** TSC: virtual time at the nominal frequency plus the offset WRMSR/reset set. */
  clockTicks(): number {
    return Math.floor(this.clock.now() * TSC_GHZ);
  }
  readTsc(): number {
    return this.clockTicks() + this.tscOffset;
  }

  /** Recomputes which debug-register breakpoints are armed (after MOV DR7 / state load). */
  updateBreakpoints(): void {
    updateBreakpoints(this);
  }

  /** Real-mode style segment load (used by far jumps etc. in real mode and by tests). */
  loadSegmentReal(seg: number, sel: number): void {
    loadSegmentRealMode(this, seg, sel);
  }
}

void TF; void IF;
