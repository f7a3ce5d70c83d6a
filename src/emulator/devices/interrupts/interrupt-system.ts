// The PC's interrupt wiring: the 8259 pair, the I/O APIC and the CPU's local APIC, and how they reach
// the CPU's INTR pin.
//
// - ISA IRQ 0-15 go to the 8259 pair and to I/O APIC pins (ISA IRQ 0 -> GSI 2 as on QEMU and real
//   boards, where the 8259's INTR sits on pin 0; the others are identity-mapped). Lines 16-23 (PCI)
//   reach only the I/O APIC.
// - The 8259's INT output goes to the local APIC's LINT0 and to I/O APIC pin 0. It drives the CPU's
//   INTR directly when there is no local APIC, when the APIC is globally disabled, or when LINT0 (or
//   an I/O APIC ExtINT entry) routes it through as ExtINT. Otherwise only the local APIC's highest
//   deliverable vector does.
// - `acknowledgeInterrupt` answers with the APIC's vector first, then with the 8259's INTA vector.
//
// The system timer (ISA IRQ 0) gets KVM-style lost-tick reinjection: an edge that arrives while the
// previous one is still waiting for the CPU is counted, and re-sent each time the CPU acknowledges
// the previous one (at most a second's worth at HZ=250 is kept). A guest whose tick handler runs
// slower than the tick (our interpreter on a busy host) then still sees every tick, so Linux's
// periodic jiffies keep pace with the TSC. Other lines merge edges exactly as the hardware does.
//
// Wiring in the machine (one object is the IrqLines target, the CPU's controller and MSR 0x1B owner):
//   const irq = new InterruptSystem({ ctx, cpu, apic, nmiMasked: () => rtc.nmiMasked });
//   cpu.interruptController = irq;
//   cpu.apicBaseMsr = { read: () => irq.readApicBaseMsr(), write: (v) => irq.writeApicBaseMsr(v) };
// It creates the 8259 pair itself (ports 0x20/0xA0/0x4D0), the I/O APIC at 0xFEC00000 (ID 0) and the
// local APIC at 0xFEE00000 (ID 0); the MADT must say the same.
//
// Everything happens synchronously: INTR is re-evaluated after every state change, so the CPU never
// acknowledges a request that has gone away (no spurious 8259 or APIC interrupts in normal operation).

import type { DeviceContext, Device, IrqLines, CpuInterruptController } from "../../device.ts";
import { StateError, type SavedState, type StateValue, StateLayout, bool, f64, nested, range, typed } from "../../state.ts";
import { PicPair } from "./pic-8259.ts";
import { IoApic, IOAPIC_PINS } from "./io-apic.ts";
import { LocalApic } from "./local-apic.ts";

/** The CPU side of the INTR / NMI pins. */
export interface InterruptCpu {
  setIntrLine(level: boolean): void;
  raiseNmi?(): void;
}

export interface InterruptSystemOptions {
  ctx: DeviceContext;
  cpu: InterruptCpu;
  /** Build the I/O APIC and the local APIC (otherwise a plain 8259 PC). */
  apic: boolean;
  /** The chipset's NMI enable gate (RTC index port bit 7): board NMIs are dropped while it says so. */
  nmiMasked?: () => boolean;
}

export const IRQ_LINES = 24;
/** Most system timer ticks kept for reinjection. */
export const TIMER_BACKLOG_MAX = 250;

/** Counters for the hypervisor's monitoring. */
export interface InterruptCounters {
  /** Vectors handed to the CPU, indexed by vector. */
  readonly perVector: Float64Array;
  /** Rising edges seen on each IRQ line 0-23. */
  readonly perLine: Float64Array;
  /** Vectors handed to the CPU in total. */
  delivered: number;
  /** NMIs sent to the CPU. */
  nmis: number;
  /** Board NMIs dropped by the chipset's NMI enable gate. */
  nmisMasked: number;
  /** acknowledgeInterrupt calls that found nothing (the request vanished; should stay 0). */
  emptyAcknowledges: number;
  /** IRQ 0 edges merged while the previous was pending and re-sent later / dropped (backlog full). */
  timerReinjected: number;
  timerDropped: number;
}

export class InterruptSystem implements Device, IrqLines, CpuInterruptController {
  readonly name = "interrupt-system";
  readonly pic: PicPair;
  readonly ioapic: IoApic | null;
  readonly lapic: LocalApic | null;
  readonly counters: InterruptCounters = {
    perVector: new Float64Array(256),
    perLine: new Float64Array(IRQ_LINES),
    delivered: 0,
    nmis: 0,
    nmisMasked: 0,
    emptyAcknowledges: 0,
    timerReinjected: 0,
    timerDropped: 0,
  };
  /** An IRQ 0 edge has been sent on a live route and the CPU has not acknowledged it yet. */
  private timerOutstanding = false;
  /** IRQ 0 edges merged into the outstanding one, to be re-sent. */
  private timerBacklog = 0;
  /** Line levels as last driven by devices (bit per line). */
  private lineLevels = 0;
  private intr = false;
  private picToCpu = true;
  private readonly cpu: InterruptCpu;
  private readonly nmiMasked: (() => boolean) | null;
  /** Destination check for ExtINT entries (bound once: update() runs on every interrupt). */
  private readonly lapicAccepts: (dest: number, logical: boolean) => boolean;

  constructor(options: InterruptSystemOptions) {
    const { ctx, cpu, apic } = options;
    this.cpu = cpu;
    this.nmiMasked = options.nmiMasked ?? null;
    this.pic = new PicPair(ctx);
    this.pic.onOutputChange = (level) => this.picOutputChanged(level);
    this.lapicAccepts = (dest, logical) => this.lapic !== null && this.lapic.matchesDestination(dest, logical);
    if (apic) {
      const lapic = new LocalApic(ctx, {
        onStateChange: () => this.update(),
        raiseNmi: () => this.nmiToCpu(),
        eoiBroadcast: (vector) => this.ioapic?.eoi(vector),
      });
      this.lapic = lapic;
      this.ioapic = new IoApic(ctx, {
        deliver: (dest, logical, vector, level) => {
          if (!lapic.globallyEnabled || !lapic.matchesDestination(dest, logical)) return false;
          lapic.acceptInterrupt(vector, level);
          return true;
        },
        deliverNmi: (dest, logical) => {
          if (lapic.globallyEnabled && lapic.matchesDestination(dest, logical)) this.nmiToCpu();
        },
        onRoutingChange: () => this.update(),
      });
      ctx.addTimer(lapic);
    } else {
      this.lapic = null;
      this.ioapic = null;
    }
    this.update();
  }

  reset(): void {
    this.lineLevels = 0;
    this.timerOutstanding = false;
    this.timerBacklog = 0;
    this.pic.reset();
    this.ioapic?.reset();
    this.lapic?.reset();
    this.update();
  }

  /** IrqLines: a device drives ISA IRQ 0-15 or PCI line 16-23. */
  setIrq(line: number, level: boolean): void {
    if (!(line >= 0 && line < IRQ_LINES) || !Number.isInteger(line)) throw new RangeError(`interrupt-system: IRQ line ${line} does not exist (0-${IRQ_LINES - 1})`);
    const bit = 1 << line;
    if (level) {
      if ((this.lineLevels & bit) === 0) {
        this.counters.perLine[line]++;
        if (line === 0 && !this.timerEdge()) return;
      }
      this.lineLevels |= bit;
    } else {
      this.lineLevels &= ~bit;
    }
    this.driveLine(line, level);
  }

  private driveLine(line: number, level: boolean): void {
    if (line < 16) this.pic.setIrq(line, level);
    const ioapic = this.ioapic;
    // ISA IRQ 0 is wired to pin 2; ISA IRQ 2 is redirected to IRQ 9 on AT boards (as in the 8259 pair).
    if (ioapic) ioapic.setLine(line === 0 ? 2 : line === 2 ? 9 : line, level);
    // The PIC and LAPIC paths report changes themselves; nothing else to do.
  }

  /** Is there a route on which an IRQ 0 edge reaches the CPU and gets acknowledged? */
  private timerRouteLive(): boolean {
    if (this.picToCpu && (this.pic.master.imr & 1) === 0) return true;
    const lapic = this.lapic;
    return lapic !== null && lapic.globallyEnabled && this.ioapic !== null && this.ioapic.liveVector(2) >= 0;
  }

  /** Is an IRQ 0 request still waiting at a live destination (8259 IRR, or the LAPIC IRR)? */
  private timerStillPending(): boolean {
    if (this.picToCpu && (this.pic.master.imr & 1) === 0 && (this.pic.master.irr & 1) !== 0) return true;
    const lapic = this.lapic;
    if (lapic === null || !lapic.globallyEnabled || this.ioapic === null) return false;
    const v = this.ioapic.liveVector(2);
    return v >= 0 && (lapic.irr[v >> 5] & (1 << (v & 31))) !== 0;
  }

  /** A rising IRQ 0 edge: returns false when it is merged into a still-pending one (backlogged). */
  private timerEdge(): boolean {
    if (!this.timerRouteLive()) {
      this.timerOutstanding = false;
      this.timerBacklog = 0;
      return true;
    }
    // Only a request that is really still waiting merges the new edge; one that vanished without an
    // acknowledge (8259 re-initialized, entry reprogrammed) must not hold up the following ticks.
    if (this.timerOutstanding && this.timerStillPending()) {
      if (this.timerBacklog < TIMER_BACKLOG_MAX) this.timerBacklog++;
      else this.counters.timerDropped++;
      return false;
    }
    this.timerOutstanding = true;
    return true;
  }

  /** The CPU took a vector: if it was the system timer's, send the next backlogged tick. */
  private timerAcknowledged(fromPic: boolean, vector: number): void {
    if (!this.timerOutstanding) return;
    const isTimer = fromPic ? this.pic.lastAcknowledgedIrq === 0 : this.ioapic !== null && this.ioapic.liveVector(2) === vector;
    if (!isTimer) return;
    this.timerOutstanding = false;
    if (this.timerBacklog > 0 && this.timerRouteLive()) {
      this.timerBacklog--;
      this.counters.timerReinjected++;
      this.timerOutstanding = true;
      this.driveLine(0, true);
      this.driveLine(0, false);
    } else {
      this.timerBacklog = 0;
    }
  }

  /** An NMI from the board (e.g. the monitor's "NMI button"): gated by the chipset's NMI enable,
   *  then through LINT1 when the APIC is on. */
  raiseNmi(): void {
    if (this.nmiMasked && this.nmiMasked()) {
      this.counters.nmisMasked++;
      return;
    }
    const lapic = this.lapic;
    if (lapic && lapic.globallyEnabled) lapic.nmiPin();
    else this.nmiToCpu();
  }

  /** IA32_APIC_BASE for the CPU's RDMSR/WRMSR 0x1B (0 without a local APIC: the CPU should #GP). */
  readApicBaseMsr(): number {
    return this.lapic ? this.lapic.readBaseMsr() : 0;
  }

  writeApicBaseMsr(value: number): void {
    if (this.lapic) this.lapic.writeBaseMsr(value);
  }

  /** CpuInterruptController: INTA. */
  acknowledgeInterrupt(): number {
    const lapic = this.lapic;
    if (lapic) {
      const v = lapic.acknowledge();
      if (v >= 0) {
        this.timerAcknowledged(false, v);
        return this.delivered(v);
      }
    }
    if (this.picToCpu && this.pic.output) {
      const v = this.pic.acknowledge();
      this.timerAcknowledged(true, v);
      return this.delivered(v);
    }
    this.counters.emptyAcknowledges++;
    this.update();
    return -1;
  }

  /** Current level of the CPU's INTR pin (for tests and the debugger). */
  get intrLevel(): boolean {
    return this.intr;
  }

  private delivered(vector: number): number {
    this.counters.perVector[vector]++;
    this.counters.delivered++;
    this.update();
    return vector;
  }

  private nmiToCpu(): void {
    this.counters.nmis++;
    if (this.cpu.raiseNmi) this.cpu.raiseNmi();
  }

  private picOutputChanged(level: boolean): void {
    this.ioapic?.setLine(0, level);
    this.lapic?.setLint0(level);
    this.update();
  }

  /** Re-evaluates where the 8259 goes and the INTR pin. */
  private update(): void {
    const lapic = this.lapic;
    let picToCpu = true;
    let apicPending = false;
    if (lapic && lapic.globallyEnabled) {
      picToCpu = lapic.lint0ExtInt || (this.ioapic !== null && this.ioapic.extIntRouted(0, this.lapicAccepts));
      apicPending = lapic.pendingVector() >= 0;
    }
    this.picToCpu = picToCpu;
    const intr = apicPending || (picToCpu && this.pic.output);
    if (intr !== this.intr) {
      this.intr = intr;
      this.cpu.setIntrLine(intr);
    }
  }

  private static readonly STATE = new StateLayout<InterruptSystem>("interrupt-system", 1, {
    lineLevels: range(0, 2 ** IOAPIC_PINS - 1),
    pic: nested(PicPair.STATE),
    ioapic: nested(IoApic.STATE, { optional: true }),
    lapic: nested(LocalApic.STATE, { optional: true }),
    perVector: typed(Float64Array, 256, { in: "counters" }),
    perLine: typed(Float64Array, IRQ_LINES, { in: "counters" }),
    delivered: f64({ min: 0, in: "counters" }),
    nmis: f64({ min: 0, in: "counters" }),
    nmisMasked: f64({ min: 0, in: "counters" }),
    emptyAcknowledges: f64({ min: 0, in: "counters" }),
    timerOutstanding: bool(),
    timerBacklog: range(0, TIMER_BACKLOG_MAX),
    timerReinjected: f64({ min: 0, in: "counters" }),
    timerDropped: f64({ min: 0, in: "counters" }),
  });

  saveState(): SavedState {
    return InterruptSystem.STATE.save(this);
  }

  checkState(state: SavedState): SavedState["fields"] {
    const f = InterruptSystem.STATE.check(state);
    if ((this.lapic !== null) !== (f.lapic !== null)) {
      throw new StateError(`interrupt-system: snapshot ${f.lapic !== null ? "has" : "has no"} APIC state but this machine ${this.lapic ? "has" : "has no"} APIC`);
    }
    return f;
  }

  loadState(state: SavedState): void {
    const f = this.checkState(state);
    // Load the parts without cross-talk, then re-derive the wiring from the restored states.
    this.pic.onOutputChange = null;
    InterruptSystem.STATE.apply(this, f);
    this.pic.onOutputChange = (level) => this.picOutputChanged(level);
    // Push the restored INTR level to the CPU unconditionally.
    this.update();
    this.cpu.setIntrLine(this.intr);
  }
}
