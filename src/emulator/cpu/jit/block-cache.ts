// The compiled-block cache of one CPU: blocks keyed by the physical address of their first byte
// plus the guest EIP they were compiled for (the same physical code reached through two linear
// addresses has different EIP constants), hotness counters so only code run `threshold` times is
// compiled, per-page lists for invalidation, and the bounds that keep a guest from making the
// host allocate without limit. Only 32-bit code with a 32-bit stack (CS.D = SS.B = 1, protected
// mode) is compiled; the run loop checks that before asking.

import type { CPU } from "../cpu.ts";
import { compileBlock, type BlockFn } from "./compile-block.ts";
import { hostNow } from "../../host.ts";

export interface Block {
  phys: number;
  eip: number;
  page: number;
  /** Instructions of the longest superblock (the run loop enters only when its budget allows them). */
  len: number;
  /** null: not worth compiling (nothing inlinable); the interpreter runs it. */
  fn: BlockFn | null;
  /** Per superblock (the function's case label, c.jitPc): each instruction's start EIP. */
  sbEips: Int32Array[];
  /** Segments the compiled code addresses (bit n = segment n): it runs only while they are flat. */
  segUse: number;
  /** Highest EIP its code runs at or branches to directly: it runs only while that is inside the CS limit. */
  eipMax: number;
  /** Segments whose base the compiled addresses leave out (it was 0): it runs only while it still is. */
  segZero: number;
  /** Next block with the same physical start (other EIP). */
  chain: Block | null;
}

export interface JitOptions {
  /** Executions of a block start before it is compiled (1 = compile on first sight). */
  threshold?: number;
}

/** Segments (bit n = segment n) whose base a block may assume to be 0: ES, SS, DS. */
const ZERO_BASE_CANDIDATES = (1 << 0) | (1 << 2) | (1 << 3);

/** Blocks run fewer times than this stay interpreted: V8 starts every new block function in its
 *  bytecode interpreter and only optimizes it after many calls, so compiling lukewarm guest code
 *  costs more than the TypeScript interpreter (itself optimized) spends on it. */
export const DEFAULT_THRESHOLD = 8000;
const SLOT_BITS = 16;
const SLOTS = 1 << SLOT_BITS;
const HOT_SIZE = 1 << 16;
/** Bounds: flush everything when either is exceeded. */
const MAX_BLOCKS = 16384;
const MAX_SOURCE_CHARS = 8 << 20;
/** 128-byte chunks per page that hold compiled code (bit i = bytes 128i..128i+127). */
const CHUNK_SHIFT = 7;
/** A page whose code keeps being overwritten is left to the interpreter after this many times. */
const MAX_PAGE_INVALIDATIONS = 32;

/** A packed (fast-elements) array of nulls: `new Array(n)` may start in dictionary mode. */
function packedNulls(n: number): (Block | null)[] {
  const a: (Block | null)[] = [];
  for (let i = 0; i < n; i++) a.push(null);
  return a;
}

/** The run loop asks for every interpreted instruction: the low bits of the physical address pick
 *  the slot so that neighbouring instructions share cache lines (higher bits and the EIP page only
 *  permute whole groups of eight). */
function slotOf(phys: number, eip: number): number {
  return (phys ^ ((((phys >>> 16) ^ (eip >>> 12)) & 0x1fff) << 3)) & (SLOTS - 1);
}

export class BlockCache {
  readonly threshold: number;
  /** Direct-mapped front cache, and a victim slot per entry (two hot blocks may share a slot). */
  private readonly slots: (Block | null)[] = packedNulls(SLOTS);
  private readonly victims: (Block | null)[] = packedNulls(SLOTS);
  private readonly byPhys = new Map<number, Block>();
  private readonly byPage = new Map<number, Block[]>();
  private readonly hot = new Uint16Array(HOT_SIZE);
  /** Per physical page: bitmask of 128-byte chunks covered by blocks (0 = no code). */
  readonly codeChunks = new Int32Array(1 << 20);
  /** Per physical page that ever lost its code to a write: how many times (capped). */
  private readonly invalidations = new Map<number, number>();
  private blockCount = 0;
  private sourceChars = 0;
  /** Statistics (tests and probes). */
  compiled = 0;
  flushes = 0;
  invalidatedBlocks = 0;
  /** Set when the host refuses to build functions from source. */
  disabled = false;
  /** Host milliseconds spent generating and building blocks. */
  compileMs = 0;

  constructor(private readonly cpu: CPU, options: JitOptions = {}) {
    this.threshold = Math.max(1, Math.min(65535, options.threshold ?? DEFAULT_THRESHOLD));
  }

  /** The compiled block for (phys, eip), compiling it when it has become hot; null = interpret. */
  find(phys: number, eip: number): Block | null {
    const s = slotOf(phys, eip);
    const b = this.slots[s];
    if (b === null) return this.findSlow(phys, eip, s);
    if (b.phys === phys && b.eip === eip) return b.fn !== null ? b : null;
    const v = this.victims[s];
    if (v !== null && v.phys === phys && v.eip === eip) {
      this.victims[s] = b;
      this.slots[s] = v;
      return v.fn !== null ? v : null;
    }
    return this.findSlow(phys, eip, s);
  }

  private place(s: number, b: Block): void {
    this.victims[s] = this.slots[s];
    this.slots[s] = b;
  }

  private findSlow(phys: number, eip: number, s: number): Block | null {
    // Cold code: count and go back to the interpreter without touching the maps.
    const h = s & (HOT_SIZE - 1);
    // (A block whose slot was emptied by an invalidation elsewhere is found again here.)
    if (++this.hot[h] < this.threshold) return null;
    this.hot[h] = 0;
    for (let b = this.byPhys.get(phys) ?? null; b !== null; b = b.chain) {
      if (b.eip === eip) {
        this.place(s, b);
        return b.fn !== null ? b : null;
      }
    }
    const page = phys >>> 12;
    if ((this.invalidations.get(page) ?? 0) >= MAX_PAGE_INVALIDATIONS) return null;
    const c = this.cpu;
    if (this.disabled) return null;
    const t0 = hostNow();
    let compiled: ReturnType<typeof compileBlock>;
    try {
      // Only ES, SS and DS (flat in every 32-bit OS we know) may have their zero base left out:
      // FS and GS bases change per thread and CPU, and code compiled for one base would then be
      // refused for all others.
      compiled = compileBlock(c.ram, phys, eip, ~c.segBaseNonZero & ZERO_BASE_CANDIDATES);
    } catch (e) {
      // A host that forbids `new Function` (a CSP without 'unsafe-eval'): stay with the interpreter.
      if (e instanceof EvalError) {
        this.disabled = true;
        return null;
      }
      throw e;
    }
    this.compileMs += hostNow() - t0;
    if (this.blockCount + 1 > MAX_BLOCKS || this.sourceChars + compiled.sourceLength > MAX_SOURCE_CHARS) this.flush();
    const block: Block = {
      phys, eip, page, len: compiled.maxLen, fn: compiled.fn, sbEips: compiled.sbEips, segUse: compiled.segUse, eipMax: compiled.eipMax, segZero: compiled.segZero,
      chain: this.byPhys.get(phys) ?? null,
    };
    this.byPhys.set(phys, block);
    let list = this.byPage.get(page);
    if (list === undefined) {
      list = [];
      this.byPage.set(page, list);
    }
    list.push(block);
    this.blockCount++;
    this.sourceChars += compiled.sourceLength;
    this.compiled++;
    this.place(s, block);
    // Mark the bytes as code: from now on CPU writes to this page take the slow path (TLB bit).
    let mask = 0;
    for (const [start, length] of compiled.ranges) {
      const first = (start & 0xfff) >>> CHUNK_SHIFT;
      const last = ((start & 0xfff) + Math.max(1, length) - 1) >>> CHUNK_SHIFT;
      for (let i = first; i <= last && i < 32; i++) mask |= 1 << i;
    }
    const was = this.codeChunks[page];
    this.codeChunks[page] = was | mask;
    if (was === 0) c.jitProtectPage(page);
    return block.fn !== null ? block : null;
  }

  /** A write of `len` bytes at physical `addr` (within one page) is about to happen. */
  noteWrite(addr: number, len: number): void {
    const page = addr >>> 12;
    const mask = this.codeChunks[page];
    if (mask === 0) return;
    const lo = (addr & 0xfff) >>> CHUNK_SHIFT;
    const hi = Math.min(0xfff, (addr & 0xfff) + len - 1) >>> CHUNK_SHIFT;
    if ((mask & (1 << lo)) !== 0 || (mask & (1 << hi)) !== 0) this.dropPage(page, true);
  }

  /** External writes (DMA, loaders): any page with code in the range loses its blocks. */
  noteRange(addr: number, len: number): void {
    this.dropRange(addr, len, true);
  }

  /** [base, base+size) changed its backing (MMIO mapped or unmapped over it): its pages lose their
   *  blocks, without counting as overwritten code (a guest that keeps remapping still gets compiled
   *  code there). The rest of the cache stays: blocks are keyed by physical page. */
  invalidateMapChange(base: number, size: number): void {
    this.dropRange(base, size, false);
  }

  private dropRange(addr: number, len: number, counted: boolean): void {
    if (len <= 0) return;
    const first = addr >>> 12;
    const last = Math.min(this.codeChunks.length - 1, (addr + len - 1) >>> 12);
    for (let p = first; p <= last; p++) if (this.codeChunks[p] !== 0) this.dropPage(p, counted);
  }

  /** `counted`: the page's code was overwritten (a page overwritten too often stays interpreted). */
  private dropPage(page: number, counted: boolean): void {
    const list = this.byPage.get(page);
    this.codeChunks[page] = 0;
    if (counted) {
      const times = this.invalidations.get(page) ?? 0;
      if (times < MAX_PAGE_INVALIDATIONS) this.invalidations.set(page, times + 1);
    }
    const running = this.cpu.jitBlock;
    if (running !== null && running.page === page) this.cpu.jitSmc = true;
    if (list === undefined) return;
    this.byPage.delete(page);
    for (const b of list) {
      this.unlink(b);
      const s = slotOf(b.phys, b.eip);
      if (this.slots[s] === b) this.slots[s] = null;
      if (this.victims[s] === b) this.victims[s] = null;
    }
    this.blockCount -= list.length;
    this.invalidatedBlocks += list.length;
  }

  private unlink(b: Block): void {
    let head = this.byPhys.get(b.phys) ?? null;
    if (head === b) {
      if (b.chain === null) this.byPhys.delete(b.phys);
      else this.byPhys.set(b.phys, b.chain);
      return;
    }
    while (head !== null && head.chain !== b) head = head.chain;
    if (head !== null) head.chain = b.chain;
  }

  /** Drops every block (cache full, state load, reset). */
  flush(): void {
    this.slots.fill(null);
    this.victims.fill(null);
    this.byPhys.clear();
    // Only pages with blocks have code chunks marked: clearing just those keeps the rest of the
    // 4 MiB map untouched (not resident).
    for (const page of this.byPage.keys()) this.codeChunks[page] = 0;
    this.byPage.clear();
    this.invalidations.clear();
    this.hot.fill(0);
    this.blockCount = 0;
    this.sourceChars = 0;
    this.flushes++;
    if (this.cpu.jitBlock !== null) this.cpu.jitSmc = true;
  }

  get size(): number {
    return this.blockCount;
  }
}
