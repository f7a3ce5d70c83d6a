// The two cascaded Intel 8259A programmable interrupt controllers of every PC (master at 0x20/0x21,
// slave at 0xA0/0xA1 on master input 2) plus the PIIX3 edge/level control registers (ELCR) at
// 0x4D0/0x4D1, which replace the 8259A's own LTIM bit on PCI-era boards.
//
// Two deliberate modelling choices:
// - Device lines follow the IrqLines contract: an edge-triggered source raises then lowers its line,
//   so an edge-mode request stays latched in IRR after the line drops (as the INTA sequence would
//   have found it on hardware had the CPU been fast enough).
// - The slave's INT output is wired to master IR2 as a level: when the slave's request vanishes
//   before the CPU acknowledges, the master's request vanishes too and INTR drops, so our
//   synchronous CPU never sees the "spurious IRQ15" that real boards produce in that race.
// `acknowledge()` still answers exactly like hardware (IRQ7/IRQ15 vectors, no ISR bit) when called
// with nothing pending.

import type { DeviceContext, Device } from "../../device.ts";
import { bool, f64, range, record, u8, StateLayout, type SavedState } from "../../state.ts";

/** Bits of the ELCR that PIIX3 lets software set: IRQ 0, 1, 2, 8 and 13 are always edge. */
const ELCR_WRITABLE_MASTER = 0xf8;
const ELCR_WRITABLE_SLAVE = 0xde;

/** One chip's saved registers (both chips of the pair). */
const CHIP_FIELDS = {
  irr: u8(),
  isr: u8(),
  imr: u8(),
  lines: u8(),
  elcr: u8(),
  vectorBase: u8(),
  icw3: u8(),
  icw4: u8(),
  initStep: range(0, 4),
  icw4Expected: bool(),
  single: bool(),
  autoEoi: bool(),
  rotateOnAutoEoi: bool(),
  specialFullyNested: bool(),
  specialMask: bool(),
  readIsr: bool(),
  pollPending: bool(),
  lowestPriority: range(0, 7),
};

/** One 8259A chip. */
export class Pic8259Chip {
  /** Interrupt request register, in-service register, interrupt mask register. */
  irr = 0;
  isr = 0;
  imr = 0xff;
  /** Current input line levels (for edge detection and level mode). */
  lines = 0;
  /** Edge/level control: bit set = level triggered. */
  elcr = 0;
  /** ICW2: vector of IR0 (low 3 bits are the IR number). */
  vectorBase = 0;
  /** ICW3: master = which inputs have slaves; slave = its cascade identity. */
  icw3: number;
  /** ICW4 as written (buffered mode bits are kept only to be read back in state). */
  icw4 = 0;
  /** 0 = ready (OCWs); 2, 3, 4 = the next write to the odd port is that ICW. */
  initStep = 0;
  icw4Expected = false;
  single = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  specialMask = false;
  /** OCW3 RR/RIS: read ISR (true) or IRR (false) at the even port. */
  readIsr = false;
  /** OCW3 P: the next read of the even port is a poll (acts as INTA). */
  pollPending = false;
  /** IR number with the lowest priority; IR (lowest+1)&7 has the highest. */
  lowestPriority = 7;

  constructor(
    readonly isMaster: boolean,
    private readonly elcrWritable: number,
  ) {
    this.icw3 = isMaster ? 0x04 : 0x02;
  }

  powerOn(): void {
    this.irr = 0;
    this.isr = 0;
    this.imr = 0xff;
    this.lines = 0;
    this.elcr = 0;
    this.vectorBase = this.isMaster ? 0x08 : 0x70;
    this.icw3 = this.isMaster ? 0x04 : 0x02;
    this.icw4 = 0;
    this.initStep = 0;
    this.icw4Expected = false;
    this.single = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
    this.specialMask = false;
    this.readIsr = false;
    this.pollPending = false;
    this.lowestPriority = 7;
  }

  /** Drives input `irq` (0-7) to `level`. */
  setLine(irq: number, level: boolean): void {
    const bit = 1 << irq;
    if (this.elcr & bit) {
      if (level) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (level && (this.lines & bit) === 0) {
      this.irr |= bit;
    }
    if (level) this.lines |= bit;
    else this.lines &= ~bit;
  }

  /** The cascade input (master IR2 from the slave's INT): follows the slave's output as a level. */
  setCascadeInput(irq: number, level: boolean): void {
    const bit = 1 << irq;
    if (level) {
      this.irr |= bit;
      this.lines |= bit;
    } else {
      this.irr &= ~bit;
      this.lines &= ~bit;
    }
  }

  writeElcr(value: number): void {
    this.elcr = value & this.elcrWritable;
    // Level inputs mirror their line; edge inputs keep what they latched.
    this.irr = (this.irr & ~this.elcr) | (this.lines & this.elcr);
  }

  /** Highest-priority IR number that would be signalled now, or -1. */
  pending(): number {
    const requests = this.irr & ~this.imr;
    if (requests === 0) return -1;
    // In special mask mode only unmasked in-service levels block, and they block only themselves.
    const inService = this.specialMask ? 0 : this.isr;
    const blockedBySelf = this.specialMask ? this.isr & ~this.imr : 0;
    for (let rank = 0; rank < 8; rank++) {
      const irq = (this.lowestPriority + 1 + rank) & 7;
      const bit = 1 << irq;
      if (inService & bit) {
        // Fully nested mode blocks this level and all lower ones; the special fully nested master
        // still lets a (higher priority) slave request through on the in-service cascade input.
        if (this.specialFullyNested && this.isMaster && (this.icw3 & bit) && (requests & bit)) return irq;
        return -1;
      }
      if ((requests & bit) && !(blockedBySelf & bit)) return irq;
    }
    return -1;
  }

  /** The INTA (or poll) effect of accepting IR `irq`. */
  acceptIrq(irq: number): void {
    const bit = 1 << irq;
    if ((this.elcr & bit) === 0) this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowestPriority = irq;
    } else {
      this.isr |= bit;
    }
  }

  /** Highest-priority in-service IR, or -1. */
  highestInService(): number {
    if (this.isr === 0) return -1;
    for (let rank = 0; rank < 8; rank++) {
      const irq = (this.lowestPriority + 1 + rank) & 7;
      if (this.isr & (1 << irq)) return irq;
    }
    return -1;
  }

  /** Port base+0 write: ICW1, OCW2 or OCW3. */
  writeCommand(value: number): void {
    if (value & 0x10) {
      // ICW1. LTIM (bit 3) is ignored: PIIX3 uses the ELCR instead.
      this.initStep = 2;
      this.icw4Expected = (value & 0x01) !== 0;
      this.single = (value & 0x02) !== 0;
      this.imr = 0;
      this.isr = 0;
      // The edge sense circuit is reset: latched edges are dropped, a new rising edge is needed.
      this.irr = this.lines & this.elcr;
      this.lowestPriority = 7;
      this.specialMask = false;
      this.readIsr = false;
      this.pollPending = false;
      this.rotateOnAutoEoi = false;
      if (!this.icw4Expected) {
        this.icw4 = 0;
        this.autoEoi = false;
        this.specialFullyNested = false;
      }
      return;
    }
    if (value & 0x08) {
      // OCW3.
      if (value & 0x40) this.specialMask = (value & 0x20) !== 0;
      if (value & 0x04) this.pollPending = true;
      if (value & 0x02) this.readIsr = (value & 0x01) !== 0;
      return;
    }
    // OCW2.
    const level = value & 7;
    switch (value >> 5) {
      case 0: // clear rotate in automatic EOI mode
        this.rotateOnAutoEoi = false;
        break;
      case 4: // set rotate in automatic EOI mode
        this.rotateOnAutoEoi = true;
        break;
      case 1: // non-specific EOI
      case 5: {
        // rotate on non-specific EOI
        const irq = this.highestInService();
        if (irq >= 0) {
          this.isr &= ~(1 << irq);
          if (value >> 5 === 5) this.lowestPriority = irq;
        }
        break;
      }
      case 3: // specific EOI
        this.isr &= ~(1 << level);
        break;
      case 7: // rotate on specific EOI
        this.isr &= ~(1 << level);
        this.lowestPriority = level;
        break;
      case 6: // set priority
        this.lowestPriority = level;
        break;
      case 2: // no operation
        break;
    }
  }

  /** Port base+1 write: ICW2/3/4 during initialization, OCW1 (mask) otherwise. */
  writeData(value: number): void {
    switch (this.initStep) {
      case 2:
        this.vectorBase = value & 0xf8;
        this.initStep = this.single ? (this.icw4Expected ? 4 : 0) : 3;
        return;
      case 3:
        this.icw3 = value;
        this.initStep = this.icw4Expected ? 4 : 0;
        return;
      case 4:
        this.icw4 = value;
        this.autoEoi = (value & 0x02) !== 0;
        this.specialFullyNested = (value & 0x10) !== 0;
        this.initStep = 0;
        return;
      default:
        this.imr = value;
    }
  }

  /** Port base+0 read: poll word, ISR or IRR. */
  readCommand(): number {
    if (this.pollPending) {
      this.pollPending = false;
      const irq = this.pending();
      if (irq < 0) return 0;
      this.acceptIrq(irq);
      return 0x80 | irq;
    }
    return this.readIsr ? this.isr : this.irr;
  }

}


export interface PicCounters {
  /** INTA cycles that found no request (answered with the IRQ7 / IRQ15 vector). */
  spuriousMaster: number;
  spuriousSlave: number;
}

/** The master/slave pair as wired on a PC/AT (slave INT on master IR2). */
export class PicPair implements Device {
  readonly name = "pic-8259";
  readonly master = new Pic8259Chip(true, ELCR_WRITABLE_MASTER);
  readonly slave = new Pic8259Chip(false, ELCR_WRITABLE_SLAVE);
  readonly counters: PicCounters = { spuriousMaster: 0, spuriousSlave: 0 };
  /** The master's INT output (the CPU's INTR when no local APIC is in the way). */
  output = false;
  /** ISA IRQ (0-15) the last INTA cycle acknowledged, or -1 for a spurious one. */
  lastAcknowledgedIrq = -1;
  /** Called whenever `output` changes. */
  onOutputChange: ((level: boolean) => void) | null = null;

  constructor(ctx: DeviceContext) {
    const io = ctx.io;
    io.register(0x20, 2, {
      in8: (port) => this.readPort(this.master, port),
      out8: (port, value) => this.writePort(this.master, port, value),
    }, this.name);
    io.register(0xa0, 2, {
      in8: (port) => this.readPort(this.slave, port),
      out8: (port, value) => this.writePort(this.slave, port, value),
    }, this.name);
    io.register(0x4d0, 2, {
      in8: (port) => (port === 0x4d0 ? this.master.elcr : this.slave.elcr),
      out8: (port, value) => {
        (port === 0x4d0 ? this.master : this.slave).writeElcr(value);
        this.update();
      },
    }, this.name);
    this.reset();
  }

  reset(): void {
    this.master.powerOn();
    this.slave.powerOn();
    this.update();
  }

  /** ISA IRQ 0-15 line level. IRQ 2 is the cascade; the AT bus wires ISA IRQ2 to IRQ 9. */
  setIrq(irq: number, level: boolean): void {
    if (irq === 2) irq = 9;
    if (irq < 8) this.master.setLine(irq, level);
    else this.slave.setLine(irq - 8, level);
    this.update();
  }

  /** The INTA cycle: returns the vector the pair puts on the bus. */
  acknowledge(): number {
    const master = this.master;
    const irq = master.pending();
    if (irq < 0) {
      this.counters.spuriousMaster++;
      this.lastAcknowledgedIrq = -1;
      return master.vectorBase | 7;
    }
    this.lastAcknowledgedIrq = irq;
    master.acceptIrq(irq);
    let vector: number;
    if ((master.icw3 & (1 << irq)) && !master.single) {
      const slave = this.slave;
      const sirq = slave.pending();
      if (sirq < 0) {
        this.counters.spuriousSlave++;
        this.lastAcknowledgedIrq = -1;
        vector = slave.vectorBase | 7;
      } else {
        slave.acceptIrq(sirq);
        this.lastAcknowledgedIrq = 8 + sirq;
        vector = slave.vectorBase | sirq;
      }
    } else {
      vector = master.vectorBase | irq;
    }
    this.update();
    return vector;
  }

  /** Recomputes the cascade and the INT output; call after any state change. */
  update(): void {
    this.master.setCascadeInput(2, this.slave.pending() >= 0);
    const out = this.master.pending() >= 0;
    if (out !== this.output) {
      this.output = out;
      if (this.onOutputChange) this.onOutputChange(out);
    }
  }

  private readPort(chip: Pic8259Chip, port: number): number {
    if ((port & 1) === 0) {
      const v = chip.readCommand();
      this.update();
      return v;
    }
    return chip.imr;
  }

  private writePort(chip: Pic8259Chip, port: number, value: number): void {
    if ((port & 1) === 0) chip.writeCommand(value);
    else chip.writeData(value);
    this.update();
  }

  static readonly STATE = new StateLayout<PicPair>(
    "pic-8259",
    1,
    {
      master: record(CHIP_FIELDS),
      slave: record(CHIP_FIELDS),
      spuriousMaster: f64({ min: 0, in: "counters" }),
      spuriousSlave: f64({ min: 0, in: "counters" }),
    },
    {
      // Recompute the output silently, then report it so the CPU's INTR matches the restored state.
      afterLoad: (p: PicPair) => {
        p.master.setCascadeInput(2, p.slave.pending() >= 0);
        p.output = p.master.pending() >= 0;
        if (p.onOutputChange) p.onOutputChange(p.output);
      },
    },
  );

  saveState(): SavedState {
    return PicPair.STATE.save(this);
  }

  checkState(state: SavedState): void {
    PicPair.STATE.check(state);
  }

  loadState(state: SavedState): void {
    PicPair.STATE.load(this, state);
  }
}
