// The processor's local xAPIC (memory-mapped at 0xFEE00000, version 0x14 with 6 LVT entries, as on
// P6-family parts): task/processor priority, 256-bit IRR/ISR/TMR, EOI with broadcast to the I/O APIC
// for level-triggered vectors, logical/physical destinations, the ICR (to itself only: this is a
// one-CPU machine, IPIs to other CPUs go nowhere), and the LVT timer counting from virtual time.
//
// Timer bus clock: 100 MHz (10 ns per tick before the divider). Linux calibrates it against the PIT,
// so the exact value only has to be constant. TSC-deadline mode is not offered (CPUID must not
// report it); bit 18 of the timer LVT is reserved here.
//
// Lost ticks: when a periodic expiry finds the previous timer interrupt still pending in IRR, real
// hardware merges them. A guest whose tick handler runs slower than the period (our interpreter, a
// busy host) would then lose jiffies and Linux's clocksource watchdog declares the TSC unstable. So,
// like KVM's "reinject" policy, merged expiries are kept in a bounded backlog and re-posted one at a
// time as the CPU accepts each one: every expiry is delivered exactly once, late but in order.
//
// Reset values follow the SDM except LINT0, which comes out of reset as ExtINT, unmasked - the
// virtual-wire set-up a PC BIOS leaves behind (QEMU does the same), so the 8259 reaches the CPU even
// before firmware touches the APIC.

import type { DeviceContext, Device } from "../../device.ts";
import type { TimedDevice } from "../../clock.ts";
import type { MmioHandler } from "../../memory.ts";
import { StateError, type SavedState, StateLayout, bool, f64, range, typed, u32, u8 } from "../../state.ts";

export const LAPIC_DEFAULT_BASE = 0xfee00000;
export const LAPIC_BUS_HZ = 100_000_000;
const NS_PER_BUS_TICK = 1e9 / LAPIC_BUS_HZ;
export const LAPIC_VERSION = 0x00050014; // version 0x14, max LVT entry 5 (six entries)
/** Minimum spacing of periodic timer interrupts: a guest asking for more than 1 MHz gets 1 MHz. */
export const LAPIC_MIN_PERIODIC_NS = 1000;

export const APIC_BASE_BSP = 0x100;
export const APIC_BASE_ENABLE = 0x800;

/** LVT indices (register 0x320 + 0x10 * index). */
export const LVT_TIMER = 0;
export const LVT_THERMAL = 1;
export const LVT_PERF = 2;
export const LVT_LINT0 = 3;
export const LVT_LINT1 = 4;
export const LVT_ERROR = 5;
const LVT_MASKED = 0x10000;
const LVT_TIMER_PERIODIC = 0x20000;
const LVT_LEVEL = 0x8000;
/** Writable bits per LVT entry (delivery status and remote IRR are read-only). */
const LVT_WRITABLE = [0x300ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];

export const DM_FIXED = 0;
export const DM_LOWEST = 1;
export const DM_SMI = 2;
export const DM_NMI = 4;
export const DM_INIT = 5;
export const DM_STARTUP = 6;
export const DM_EXTINT = 7;

const ESR_SEND_ILLEGAL_VECTOR = 0x20;
const ESR_RECEIVE_ILLEGAL_VECTOR = 0x40;
const ESR_ILLEGAL_REGISTER = 0x80;

const SVR_ENABLE = 0x100;

/** What the local APIC needs from the rest of the interrupt system. */
export interface LocalApicWiring {
  /** Deliverable interrupts, TPR, enable state or LINT0 routing changed: re-evaluate INTR. */
  onStateChange(): void;
  /** An NMI for this CPU (LINT1 in NMI mode, NMI IPI to self). */
  raiseNmi(): void;
  /** EOI of a level-triggered vector: the I/O APIC clears its remote IRR. */
  eoiBroadcast(vector: number): void;
}

function highestBit(words: Uint32Array): number {
  for (let i = 7; i >= 0; i--) {
    const w = words[i];
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

export class LocalApic implements Device, TimedDevice, MmioHandler {
  readonly name = "local-apic";
  /** IA32_APIC_BASE MSR (low 32 bits: this machine has 32-bit physical addresses). */
  private baseMsr = (LAPIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_ENABLE) >>> 0;
  private mappedBase = -1;
  id = 0;
  tpr = 0;
  private ldr = 0;
  private dfrModel = 0xf;
  svr = 0xff;
  private esr = 0;
  private pendingErrors = 0;
  private icrLow = 0;
  private icrHigh = 0;
  readonly lvt = new Uint32Array(6);
  readonly irr = new Uint32Array(8);
  readonly isr = new Uint32Array(8);
  readonly tmr = new Uint32Array(8);
  private divideConfig = 0;
  initialCount = 0;
  // Timer: counting segment started at timerStartNs with timerStartCount; expiries in segment ticks.
  private timerActive = false;
  private timerStartNs = 0;
  private timerStartCount = 0;
  private timerNextExpiry = 0;
  private lint0Level = false;
  /** Periodic expiries waiting to be re-posted because the previous one was still pending. */
  private timerBacklog = 0;
  /** Timer expiries (for monitoring). */
  timerFires = 0;
  /** Expiries that had to wait in the backlog, and expiries dropped because it was full. */
  timerReinjected = 0;
  timerDropped = 0;

  constructor(
    private readonly ctx: DeviceContext,
    private readonly wiring: LocalApicWiring,
  ) {
    this.powerOnRegisters();
    this.map();
  }

  // ---- enable state and mapping ----

  get globallyEnabled(): boolean {
    return (this.baseMsr & APIC_BASE_ENABLE) !== 0;
  }

  get softwareEnabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0;
  }

  get base(): number {
    return (this.baseMsr & 0xfffff000) >>> 0;
  }

  /** RDMSR 0x1B (low dword; the high dword is 0). */
  readBaseMsr(): number {
    return this.baseMsr >>> 0;
  }

  /** WRMSR 0x1B. The caller (CPU) raises #GP for reserved bits (10 = x2APIC, 32+); BSP is read-only.
   *  Clearing the enable bit puts the APIC in its reset state and hides it; setting it again brings
   *  it back in that state. */
  writeBaseMsr(value: number): void {
    const wasEnabled = this.globallyEnabled;
    this.baseMsr = ((value & 0xfffff000) | (value & APIC_BASE_ENABLE) | (this.baseMsr & APIC_BASE_BSP)) >>> 0;
    if (wasEnabled && !this.globallyEnabled) {
      this.powerOnRegisters();
      // A globally disabled APIC does not pass LINT0 as ExtINT: the CPU's INTR pin is the 8259's.
    }
    this.map();
    this.wiring.onStateChange();
    this.ctx.rescheduleTimer(this);
  }

  private map(): void {
    const want = this.globallyEnabled ? this.base : -1;
    if (want === this.mappedBase) return;
    if (this.mappedBase >= 0) this.ctx.memory.unmapMmio(this.mappedBase, 0x1000);
    if (want >= 0) this.ctx.memory.mapMmio(want, 0x1000, this);
    this.mappedBase = want;
  }

  private powerOnRegisters(): void {
    this.tpr = 0;
    this.ldr = 0;
    this.dfrModel = 0xf;
    this.svr = 0xff;
    this.esr = 0;
    this.pendingErrors = 0;
    this.icrLow = 0;
    this.icrHigh = 0;
    this.lvt.fill(LVT_MASKED);
    this.lvt[LVT_LINT0] = DM_EXTINT << 8;
    this.irr.fill(0);
    this.isr.fill(0);
    this.tmr.fill(0);
    this.divideConfig = 0;
    this.initialCount = 0;
    this.timerActive = false;
    this.timerStartNs = 0;
    this.timerStartCount = 0;
    this.timerNextExpiry = 0;
    this.timerBacklog = 0;
  }

  /** Hard reset (power-on or RESET#): the MSR and all registers return to their reset values. */
  reset(): void {
    this.baseMsr = (LAPIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_ENABLE) >>> 0;
    this.id = 0;
    this.lint0Level = false;
    this.timerFires = 0;
    this.timerReinjected = 0;
    this.timerDropped = 0;
    this.powerOnRegisters();
    this.map();
    this.wiring.onStateChange();
    this.ctx.rescheduleTimer(this);
  }

  // ---- interrupt acceptance and delivery to the CPU ----

  /** True when LINT0 hands the 8259's INTR to the CPU (ExtINT, unmasked, APIC enabled). When the
   *  APIC is globally disabled the interrupt system bypasses it altogether. */
  get lint0ExtInt(): boolean {
    const l = this.lvt[LVT_LINT0];
    return (l & LVT_MASKED) === 0 && ((l >> 8) & 7) === DM_EXTINT;
  }

  /** Does a message with this destination reach this APIC? */
  matchesDestination(dest: number, logical: boolean): boolean {
    if (!logical) return dest === 0xff || dest === this.id;
    if (dest === 0xff) return true;
    const ldr = this.ldr >>> 24;
    if (this.dfrModel === 0xf) return (ldr & dest) !== 0; // flat model
    // Cluster model: high nibble selects the cluster, low nibble the members.
    return ((dest >> 4) === (ldr >> 4) || dest >> 4 === 0xf) && (dest & ldr & 0x0f) !== 0;
  }

  /** A fixed / lowest-priority interrupt message arrives (I/O APIC, LVT, self-IPI). */
  acceptInterrupt(vector: number, level: boolean): void {
    if (vector < 16) {
      this.raiseError(ESR_RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    const word = vector >> 5;
    const bit = 1 << (vector & 31);
    this.irr[word] |= bit;
    if (level) this.tmr[word] |= bit;
    else this.tmr[word] &= ~bit;
    this.wiring.onStateChange();
  }

  /** Processor priority: TPR, or the class of the highest in-service vector if that is higher. */
  ppr(): number {
    const isrv = highestBit(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr & 0xff : isrClass;
  }

  /** The vector the APIC would hand the CPU now, or -1. */
  pendingVector(): number {
    if (!this.globallyEnabled || !this.softwareEnabled) return -1;
    const irrv = highestBit(this.irr);
    if (irrv < 0) return -1;
    return (irrv & 0xf0) > (this.ppr() & 0xf0) ? irrv : -1;
  }

  /** INTA: moves the highest deliverable vector from IRR to ISR and returns it (-1 if none). */
  acknowledge(): number {
    const v = this.pendingVector();
    if (v < 0) return -1;
    const word = v >> 5;
    const bit = 1 << (v & 31);
    this.irr[word] &= ~bit;
    this.isr[word] |= bit;
    if (this.timerBacklog > 0 && v === (this.lvt[LVT_TIMER] & 0xff)) {
      // The previous tick is now in service: queue the next merged one behind it.
      this.timerBacklog--;
      this.timerReinjected++;
      this.irr[word] |= bit;
      this.tmr[word] &= ~bit;
    }
    this.wiring.onStateChange();
    return v;
  }

  private eoi(): void {
    const v = highestBit(this.isr);
    if (v < 0) return;
    const word = v >> 5;
    const bit = 1 << (v & 31);
    this.isr[word] &= ~bit;
    if (this.tmr[word] & bit) this.wiring.eoiBroadcast(v);
    this.wiring.onStateChange();
  }

  /** Delivers the local interrupt described by LVT entry `index`. */
  private deliverLocal(index: number, level: boolean): void {
    const l = this.lvt[index];
    if (l & LVT_MASKED) return;
    switch ((l >> 8) & 7) {
      case DM_FIXED:
        this.acceptInterrupt(l & 0xff, level);
        break;
      case DM_NMI:
        this.wiring.raiseNmi();
        break;
      // ExtINT on LINT0 is a routing (see lint0ExtInt); SMI and INIT are not modelled.
    }
  }

  /** LINT0 pin: the 8259's INT output. Only matters when LINT0 is in fixed mode. */
  setLint0(level: boolean): void {
    const rising = level && !this.lint0Level;
    this.lint0Level = level;
    const l = this.lvt[LVT_LINT0];
    if (((l >> 8) & 7) !== DM_FIXED) return;
    if (l & LVT_LEVEL) {
      const vector = l & 0xff;
      if (level) this.deliverLocal(LVT_LINT0, true);
      else if (vector >= 16) {
        this.irr[vector >> 5] &= ~(1 << (vector & 31));
        this.wiring.onStateChange();
      }
    } else if (rising) {
      this.deliverLocal(LVT_LINT0, false);
    }
  }

  /** LINT1 pin rising edge: the board's NMI. */
  nmiPin(): void {
    this.deliverLocal(LVT_LINT1, false);
  }

  private raiseError(bits: number): void {
    const fresh = bits & ~this.pendingErrors;
    this.pendingErrors |= bits;
    const l = this.lvt[LVT_ERROR];
    // An illegal vector in the error LVT itself must not recurse.
    if (fresh && (l & LVT_MASKED) === 0 && (l & 0xff) >= 16) this.acceptInterrupt(l & 0xff, false);
  }

  private sendIpi(): void {
    const low = this.icrLow;
    const vector = low & 0xff;
    const mode = (low >> 8) & 7;
    const logical = (low & 0x800) !== 0;
    const shorthand = (low >> 18) & 3;
    const dest = this.icrHigh >>> 24;
    const toSelf = shorthand === 1 || shorthand === 2 || (shorthand === 0 && this.matchesDestination(dest, logical));
    switch (mode) {
      case DM_FIXED:
      case DM_LOWEST:
        if (vector < 16) {
          this.raiseError(ESR_SEND_ILLEGAL_VECTOR);
          return;
        }
        if (toSelf) this.acceptInterrupt(vector, (low & LVT_LEVEL) !== 0);
        return;
      case DM_NMI:
        if (toSelf) this.wiring.raiseNmi();
        return;
      default:
        // SMI, INIT, STARTUP: there are no other processors, and INIT/SIPI to self are not used by
        // the firmware or kernels we run; they are accepted and dropped.
        return;
    }
  }

  // ---- timer ----

  private divisor(): number {
    const v = (this.divideConfig & 3) | ((this.divideConfig >> 1) & 4);
    return v === 7 ? 1 : 2 << v;
  }

  private tickNs(): number {
    return NS_PER_BUS_TICK * this.divisor();
  }

  private elapsedTicks(now: number): number {
    const d = now - this.timerStartNs;
    return d > 0 ? Math.floor(d / this.tickNs()) : 0;
  }

  private periodic(): boolean {
    return (this.lvt[LVT_TIMER] & LVT_TIMER_PERIODIC) !== 0;
  }

  currentCount(now: number): number {
    if (!this.timerActive || this.initialCount === 0) return 0;
    const e = this.elapsedTicks(now);
    const start = this.timerStartCount;
    if (e < start) return start - e;
    if (!this.periodic()) return 0;
    return this.initialCount - ((e - start) % this.initialCount);
  }

  /** Starts a counting segment at `now` from `count`. */
  private startTimer(now: number, count: number): void {
    this.timerBacklog = 0;
    this.timerStartNs = now;
    this.timerStartCount = count;
    this.timerActive = count > 0 && this.initialCount > 0;
    this.timerNextExpiry = count;
  }

  /** Applies a divider or mode change: the count continues from where it is under the new setting. */
  private changeTimerSetting(now: number, apply: () => void): void {
    const current = this.currentCount(now);
    const wasActive = this.timerActive;
    apply();
    if (wasActive && current > 0) this.startTimer(now, current);
    else this.timerActive = false;
    this.ctx.rescheduleTimer(this);
  }

  tick(now: number): number {
    if (!this.timerActive) return Infinity;
    const e = this.elapsedTicks(now);
    if (e >= this.timerNextExpiry) {
      if (this.periodic() && this.initialCount > 0) {
        const start = this.timerStartCount;
        const initial = this.initialCount;
        const due = Math.floor((e - this.timerNextExpiry) / initial) + 1;
        let next = start + (Math.floor((e - start) / initial) + 1) * initial;
        const minTicks = Math.ceil(LAPIC_MIN_PERIODIC_NS / this.tickNs());
        if (next - e < minTicks) next = start + Math.ceil((e + minTicks - start) / initial) * initial;
        this.timerNextExpiry = next;
        this.timerExpired(due, initial * this.tickNs());
      } else {
        this.timerActive = false;
        this.timerExpired(1, Infinity);
        return Infinity;
      }
    }
    return this.timerStartNs + this.timerNextExpiry * this.tickNs() + 1;
  }

  /** `count` expiries happened (periodic: `periodNs` apart). Delivers one, backlogs the rest. */
  private timerExpired(count: number, periodNs: number): void {
    this.timerFires += count;
    const l = this.lvt[LVT_TIMER];
    if (l & LVT_MASKED) return;
    const vector = l & 0xff;
    let merged = count;
    if ((this.irr[vector >> 5] & (1 << (vector & 31))) === 0) {
      this.deliverLocal(LVT_TIMER, false);
      merged--;
    }
    if (merged === 0) return;
    // At most a second's worth of periods (and never more than 1000) is kept.
    const cap = Math.max(1, Math.min(1000, Math.floor(1e9 / periodNs)));
    const backlog = this.timerBacklog + merged;
    this.timerBacklog = Math.min(backlog, cap);
    this.timerDropped += backlog - this.timerBacklog;
  }

  // ---- register file ----

  readRegister(offset: number): number {
    switch (offset) {
      case 0x020:
        return (this.id << 24) >>> 0;
      case 0x030:
        return LAPIC_VERSION;
      case 0x080:
        return this.tpr;
      case 0x090:
        return 0; // arbitration priority: one CPU, never arbitrates
      case 0x0a0:
        return this.ppr();
      case 0x0b0:
        return 0; // EOI is write-only
      case 0x0c0:
        return 0; // remote read
      case 0x0d0:
        return this.ldr >>> 0;
      case 0x0e0:
        return ((this.dfrModel << 28) | 0x0fffffff) >>> 0;
      case 0x0f0:
        return this.svr;
      case 0x280:
        return this.esr;
      case 0x300:
        return this.icrLow; // delivery status (bit 12) always idle: IPIs are delivered at once
      case 0x310:
        return this.icrHigh >>> 0;
      case 0x320:
      case 0x330:
      case 0x340:
      case 0x350:
      case 0x360:
      case 0x370:
        return this.lvt[(offset - 0x320) >> 4];
      case 0x380:
        return this.initialCount >>> 0;
      case 0x390:
        return this.currentCount(this.ctx.clock.now()) >>> 0;
      case 0x3e0:
        return this.divideConfig;
    }
    if (offset >= 0x100 && offset < 0x180) return this.isr[(offset - 0x100) >> 4] >>> 0;
    if (offset >= 0x180 && offset < 0x200) return this.tmr[(offset - 0x180) >> 4] >>> 0;
    if (offset >= 0x200 && offset < 0x280) return this.irr[(offset - 0x200) >> 4] >>> 0;
    this.raiseError(ESR_ILLEGAL_REGISTER);
    return 0;
  }

  writeRegister(offset: number, value: number): void {
    value >>>= 0;
    switch (offset) {
      case 0x020:
        this.id = value >>> 24;
        this.wiring.onStateChange();
        return;
      case 0x080:
        this.tpr = value & 0xff;
        this.wiring.onStateChange();
        return;
      case 0x0b0:
        this.eoi();
        return;
      case 0x0d0:
        this.ldr = value & 0xff000000;
        this.wiring.onStateChange();
        return;
      case 0x0e0:
        this.dfrModel = value >>> 28;
        this.wiring.onStateChange();
        return;
      case 0x0f0: {
        const wasEnabled = this.softwareEnabled;
        this.svr = value & 0x3ff;
        if (wasEnabled && !this.softwareEnabled) {
          // Software disable masks every LVT entry.
          for (let i = 0; i < 6; i++) this.lvt[i] |= LVT_MASKED;
          this.timerBacklog = 0;
        }
        this.wiring.onStateChange();
        return;
      }
      case 0x280:
        // A write latches the errors seen since the last write and clears them.
        this.esr = this.pendingErrors;
        this.pendingErrors = 0;
        return;
      case 0x300:
        this.icrLow = value & 0x000ccfff;
        this.sendIpi();
        return;
      case 0x310:
        this.icrHigh = value & 0xff000000;
        return;
      case 0x320:
      case 0x330:
      case 0x340:
      case 0x350:
      case 0x360:
      case 0x370: {
        const index = (offset - 0x320) >> 4;
        let v = value & LVT_WRITABLE[index];
        if (!this.softwareEnabled) v |= LVT_MASKED;
        if (index === LVT_TIMER && (v & LVT_MASKED || (v ^ this.lvt[index]) & 0xff)) this.timerBacklog = 0;
        if (index === LVT_TIMER && ((v ^ this.lvt[index]) & LVT_TIMER_PERIODIC) !== 0) {
          this.changeTimerSetting(this.ctx.clock.now(), () => {
            this.lvt[LVT_TIMER] = v;
          });
        } else {
          this.lvt[index] = v;
          if (index === LVT_LINT0) this.wiring.onStateChange();
        }
        return;
      }
      case 0x380:
        this.initialCount = value;
        this.startTimer(this.ctx.clock.now(), value);
        this.ctx.rescheduleTimer(this);
        return;
      case 0x3e0:
        this.changeTimerSetting(this.ctx.clock.now(), () => {
          this.divideConfig = value & 0x0b;
        });
        return;
      case 0x030:
      case 0x090:
      case 0x0a0:
      case 0x0c0:
      case 0x390:
        return; // read-only
    }
    if (offset >= 0x100 && offset < 0x280) return; // ISR / TMR / IRR are read-only
    this.raiseError(ESR_ILLEGAL_REGISTER);
  }

  // ---- MMIO: registers are 32 bits wide at 16-byte aligned offsets ----

  read32(addr: number): number {
    const offset = addr & 0xfff;
    if (offset & 0xf) return 0;
    return this.readRegister(offset) | 0;
  }

  write32(addr: number, value: number): void {
    const offset = addr & 0xfff;
    if (offset & 0xf) return;
    this.writeRegister(offset, value);
  }

  read8(addr: number): number {
    return (this.read32(addr & ~3) >>> ((addr & 3) * 8)) & 0xff;
  }

  read16(addr: number): number {
    return (this.read32(addr & ~3) >>> ((addr & 2) * 8)) & 0xffff;
  }

  /** Narrow writes to APIC registers are undefined; they are ignored (as QEMU does). */
  write8(_addr: number, _value: number): void {}

  write16(_addr: number, _value: number): void {}

  static readonly STATE = new StateLayout<LocalApic>("local-apic", 1, {
    baseMsr: u32(),
    id: u8(),
    tpr: u8(),
    ldr: u32(),
    dfrModel: range(0, 0xf),
    svr: range(0, 0x3ff),
    esr: u8(),
    pendingErrors: u8(),
    icrLow: u32(),
    icrHigh: u32(),
    lvt: typed(Uint32Array, 6),
    irr: typed(Uint32Array, 8),
    isr: typed(Uint32Array, 8),
    tmr: typed(Uint32Array, 8),
    divideConfig: range(0, 0x0b),
    initialCount: u32(),
    timerActive: bool(),
    timerStartNs: f64(),
    timerStartCount: u32(),
    timerNextExpiry: f64(),
    lint0Level: bool(),
    timerBacklog: u32(),
    timerFires: f64({ min: 0 }),
    timerReinjected: f64({ min: 0 }),
    timerDropped: f64({ min: 0 }),
  }, {
    afterLoad: (l: LocalApic) => {
        l.ldr &= 0xff000000;
        l.icrLow &= 0x000ccfff;
        l.icrHigh &= 0xff000000;
        l.map();
        l.wiring.onStateChange();
        l.ctx.rescheduleTimer(l);
    },
  });

  saveState(): SavedState {
    return LocalApic.STATE.save(this);
  }

  checkState(state: SavedState): void {
    LocalApic.STATE.check(state);
  }

  loadState(state: SavedState): void {
    LocalApic.STATE.load(this, state);
  }
}
