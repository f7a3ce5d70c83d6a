// Intel 8254 programmable interval timer (ports 0x40-0x43, 1.193182 MHz). Channel 0 drives IRQ 0,
// channel 1 is the (unconnected) DRAM refresh timer, channel 2's gate and output belong to port 0x61
// (see system-ports.ts) and feed the PC speaker.
//
// Counters are never stepped: each channel remembers when its counting element was loaded (virtual
// ns) and derives count and OUT from the number of whole PIT clocks since then. IRQ 0 rising edges are
// at exact multiples of the period from the load, so the interrupt rate has no drift. If the machine
// ticks us late by more than a period, every edge that came due is still sent (up to
// MAX_EDGES_PER_TICK): a plain PIC merges them, the interrupt system's lost-tick reinjection keeps
// them; `counters.lateIrqEdges` counts the edges that were sent late.

import type { DeviceContext, Device } from "../../device.ts";
import type { TimedDevice } from "../../clock.ts";
import { StateError, type SavedState, type StateValue, StateLayout, bool, f64, range, records, u16, u8 } from "../../state.ts";

export const PIT_HZ = 1193182;
/** Most IRQ 0 edges sent from one late tick (a second's worth at HZ=250). */
const MAX_EDGES_PER_TICK = 250;
const TICKS_PER_NS = PIT_HZ / 1e9;
const NS_PER_TICK = 1e9 / PIT_HZ;

function bcdToBinary(v: number): number {
  return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

function binaryToBcd(v: number): number {
  return ((((v / 1000) | 0) % 10) << 12) | ((((v / 100) | 0) % 10) << 8) | ((((v / 10) | 0) % 10) << 4) | (v % 10);
}

/** One counter of the 8254. Times are virtual ns; "ticks" are PIT clocks since the counting element
 *  was last loaded. */
/** One channel's saved registers and timing. */
const CHANNEL_FIELDS = {
  mode: range(0, 5),
  bcd: bool(),
  access: range(1, 3),
  countRegister: u16(),
  running: bool(),
  triggered: bool(),
  paused: bool(),
  period: range(0, 0x10000),
  pendingPeriod: range(0, 0x10000),
  pendingAtTick: f64(),
  baseNs: f64(),
  baseTicks: f64(),
  gate: bool(),
  nullCount: bool(),
  writeHighNext: bool(),
  writeLowByte: u8(),
  readHighNext: bool(),
  latchedCount: range(-1, 0xffff),
  latchReadHighNext: bool(),
  latchedStatus: range(-1, 0xff),
  /** -1 = no edge scheduled. */
  nextEdgeTick: f64({
    get: (c: PitChannel) => (c.nextEdgeTick === Infinity ? -1 : c.nextEdgeTick),
    set: (c: PitChannel, tick: number) => void (c.nextEdgeTick = tick < 0 ? Infinity : tick),
  }),
};

export class PitChannel {
  mode = 0;
  bcd = false;
  /** Read/write access: 1 = LSB only, 2 = MSB only, 3 = LSB then MSB. */
  access = 3;
  /** Count register as last written (raw 16 bits, BCD digits when bcd). */
  countRegister = 0;
  /** Counting element has a count (modes 1 and 5: armed, waiting for a gate trigger). */
  running = false;
  /** Modes 1 and 5: a gate rising edge has started the count. */
  triggered = false;
  /** Counting is paused by the gate (modes 0, 2, 3, 4 with gate low). */
  paused = false;
  /** Loaded count N in clocks (1..65536, or 1..10000 in BCD). */
  period = 0;
  /** Modes 2/3: count written while running, loaded at the next reload (0 = none). */
  pendingPeriod = 0;
  /** Tick (in the current base) at which `pendingPeriod` is loaded. */
  pendingAtTick = 0;
  /** ticks(now) = baseTicks + floor((now - baseNs) * PIT_HZ / 1e9) while not paused. */
  baseNs = 0;
  baseTicks = 0;
  gate: boolean;
  nullCount = true;
  /** LSB/MSB flip-flops for count writes and unlatched reads. */
  writeHighNext = false;
  writeLowByte = 0;
  readHighNext = false;
  /** Latched count (-1 = none) and which byte of it comes next. */
  latchedCount = -1;
  latchReadHighNext = false;
  /** Latched status byte (-1 = none). */
  latchedStatus = -1;
  /** Channel 0 only: tick of the next IRQ rising edge in the current base (Infinity = none). */
  nextEdgeTick = Infinity;

  constructor(readonly index: number) {
    this.gate = index !== 2;
  }

  powerOn(): void {
    this.mode = 0;
    this.bcd = false;
    this.access = 3;
    this.countRegister = 0;
    this.running = false;
    this.triggered = false;
    this.paused = false;
    this.period = 0;
    this.pendingPeriod = 0;
    this.pendingAtTick = 0;
    this.baseNs = 0;
    this.baseTicks = 0;
    this.gate = this.index !== 2;
    this.nullCount = true;
    this.writeHighNext = false;
    this.writeLowByte = 0;
    this.readHighNext = false;
    this.latchedCount = -1;
    this.latchReadHighNext = false;
    this.latchedStatus = -1;
    this.nextEdgeTick = Infinity;
  }

  private get modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  /** N loaded from the count register: 0 means the maximum count. */
  private countFromRegister(): number {
    const v = this.bcd ? bcdToBinary(this.countRegister) : this.countRegister;
    return v === 0 ? this.modulus : Math.min(v, this.modulus);
  }

  ticksAt(now: number): number {
    if (!this.running || this.paused) return this.baseTicks;
    const d = now - this.baseNs;
    return this.baseTicks + (d > 0 ? Math.floor(d * TICKS_PER_NS) : 0);
  }

  /** Virtual ns at which `ticksAt` first reaches `tick` (Infinity when not counting). */
  tickToNs(tick: number): number {
    if (!this.running || this.paused || tick === Infinity) return Infinity;
    // +1 ns keeps floor() on the far side of the boundary despite rounding.
    return this.baseNs + (tick - this.baseTicks) * NS_PER_TICK + 1;
  }

  /** Modes 2/3: applies a count written during the previous period once its reload has passed. */
  sync(now: number): void {
    if (this.pendingPeriod === 0 || !this.running || this.paused) return;
    const boundary = this.pendingAtTick;
    if (this.ticksAt(now) < boundary) return;
    this.baseNs = this.baseNs + (boundary - this.baseTicks) * NS_PER_TICK;
    this.baseTicks = 0;
    this.period = this.pendingPeriod;
    this.pendingPeriod = 0;
    this.nullCount = false;
    // The reload edge at `boundary` becomes tick 0 of the new base (still due if not yet fired);
    // an edge already fired there is followed by one a new period later.
    this.nextEdgeTick = this.nextEdgeTick > boundary ? this.period : this.nextEdgeTick - boundary;
  }

  /** Loads the counting element and starts counting at `now`. */
  private start(now: number, n: number): void {
    this.running = true;
    this.period = n;
    this.pendingPeriod = 0;
    this.baseNs = now;
    this.baseTicks = 0;
    this.paused = !this.gate && this.mode !== 1 && this.mode !== 5;
    this.nullCount = false;
    this.nextEdgeTick = this.edgeAfter(0);
  }

  /** First OUT rising edge strictly after tick `t`. */
  edgeAfter(t: number): number {
    const n = this.period;
    switch (this.mode) {
      case 0:
        return t < n ? n : Infinity;
      case 1:
        return this.triggered && t < n ? n : Infinity;
      case 2:
      case 3:
        return (Math.floor(t / n) + 1) * n;
      case 4:
        return t < n + 1 ? n + 1 : Infinity;
      case 5:
        return this.triggered && t < n + 1 ? n + 1 : Infinity;
    }
    return Infinity;
  }

  /** The counting element's value (binary, before BCD conversion). */
  valueAt(now: number): number {
    if (!this.running || ((this.mode === 1 || this.mode === 5) && !this.triggered)) {
      return this.countFromRegister() % this.modulus;
    }
    this.sync(now);
    const t = this.ticksAt(now);
    const n = this.period;
    const m = this.modulus;
    switch (this.mode) {
      case 2:
        return (n - (t % n)) % m;
      case 3: {
        const p = t % n;
        if ((n & 1) === 0) {
          const half = n >> 1;
          return (p < half ? n - 2 * p : n - 2 * (p - half)) % m;
        }
        // Odd counts: high for (N+1)/2 clocks, low for (N-1)/2, decrementing by two after the first step.
        const high = (n + 1) >> 1;
        if (p < high) return (p === 0 ? n : n + 1 - 2 * p) % m;
        const q = p - high;
        return (q === 0 ? n : n - 1 - 2 * q) % m;
      }
      default:
        // Modes 0, 1, 4, 5 keep counting down through zero and wrap.
        return (((n - t) % m) + m) % m;
    }
  }

  outAt(now: number): boolean {
    if (!this.running) return this.mode !== 0;
    this.sync(now);
    const t = this.ticksAt(now);
    const n = this.period;
    switch (this.mode) {
      case 0:
        return t >= n;
      case 1:
        return this.triggered ? t >= n : true;
      case 2:
        return this.paused || t % n !== n - 1;
      case 3:
        return this.paused || t % n < (n + 1) >> 1;
      case 4:
        return t !== n;
      case 5:
        return !(this.triggered && t === n);
    }
    return true;
  }

  statusByte(now: number): number {
    return (this.outAt(now) ? 0x80 : 0) | (this.nullCount ? 0x40 : 0) | (this.access << 4) | (this.mode << 1) | (this.bcd ? 1 : 0);
  }

  latchCount(now: number): void {
    if (this.latchedCount >= 0) return; // a second latch before the read is ignored
    const v = this.valueAt(now);
    this.latchedCount = this.bcd ? binaryToBcd(v) : v;
    this.latchReadHighNext = false;
  }

  latchStatus(now: number): void {
    if (this.latchedStatus >= 0) return;
    this.latchedStatus = this.statusByte(now);
  }

  writeControl(value: number, now: number): void {
    const access = (value >> 4) & 3;
    if (access === 0) {
      this.latchCount(now);
      return;
    }
    let mode = (value >> 1) & 7;
    if (mode > 5) mode -= 4; // 110 and 111 are aliases of modes 2 and 3
    this.access = access;
    this.mode = mode;
    this.bcd = (value & 1) !== 0;
    this.running = false;
    this.triggered = false;
    this.paused = false;
    this.pendingPeriod = 0;
    this.nullCount = true;
    this.writeHighNext = false;
    this.readHighNext = false;
    this.nextEdgeTick = Infinity;
  }

  writeCount(value: number, now: number): void {
    switch (this.access) {
      case 1:
        this.countRegister = value;
        break;
      case 2:
        this.countRegister = value << 8;
        break;
      default:
        if (!this.writeHighNext) {
          this.writeLowByte = value;
          this.writeHighNext = true;
          // Mode 0: writing the first byte stops the count (OUT stays low until the new one ends).
          if (this.mode === 0 && this.running) {
            this.baseTicks = 0;
            this.running = false;
            this.nextEdgeTick = Infinity;
          }
          return;
        }
        this.writeHighNext = false;
        this.countRegister = this.writeLowByte | (value << 8);
    }
    this.loadCount(now);
  }

  private loadCount(now: number): void {
    this.nullCount = true;
    const n = this.countFromRegister();
    switch (this.mode) {
      case 0:
      case 4:
        this.start(now, n);
        break;
      case 1:
      case 5:
        // Armed; the count is loaded by the next gate rising edge.
        this.running = true;
        this.triggered = false;
        this.period = n;
        this.nextEdgeTick = Infinity;
        break;
      default:
        if (!this.running) {
          this.start(now, n);
        } else {
          this.sync(now);
          const t = this.ticksAt(now);
          this.pendingPeriod = n;
          this.pendingAtTick = (Math.floor(t / this.period) + 1) * this.period;
        }
    }
  }

  readCount(now: number): number {
    if (this.latchedStatus >= 0) {
      const s = this.latchedStatus;
      this.latchedStatus = -1;
      return s;
    }
    if (this.latchedCount >= 0) {
      const v = this.latchedCount;
      if (this.access === 1) {
        this.latchedCount = -1;
        return v & 0xff;
      }
      if (this.access === 2) {
        this.latchedCount = -1;
        return v >> 8;
      }
      if (!this.latchReadHighNext) {
        this.latchReadHighNext = true;
        return v & 0xff;
      }
      this.latchedCount = -1;
      this.latchReadHighNext = false;
      return v >> 8;
    }
    const raw = this.valueAt(now);
    const v = this.bcd ? binaryToBcd(raw) : raw;
    if (this.access === 1) return v & 0xff;
    if (this.access === 2) return v >> 8;
    const high = this.readHighNext;
    this.readHighNext = !high;
    return high ? v >> 8 : v & 0xff;
  }

  setGate(level: boolean, now: number): void {
    if (level === this.gate) return;
    this.gate = level;
    switch (this.mode) {
      case 0:
      case 4:
        if (!this.running) return;
        if (!level) {
          this.baseTicks = this.ticksAt(now);
          this.paused = true;
        } else {
          this.baseNs = now;
          this.paused = false;
        }
        return;
      case 2:
      case 3:
        if (!this.running) return;
        if (!level) {
          this.sync(now);
          this.baseTicks = this.ticksAt(now);
          this.paused = true;
        } else {
          // A gate rising edge reloads the counter and restarts the period.
          const n = this.pendingPeriod || this.period;
          this.start(now, n);
        }
        return;
      default:
        // Modes 1 and 5: a rising edge (re)triggers the count.
        if (level && this.running) {
          this.period = this.countFromRegister();
          this.baseNs = now;
          this.baseTicks = 0;
          this.paused = false;
          this.triggered = true;
          this.nullCount = false;
          this.nextEdgeTick = this.edgeAfter(0);
        }
    }
  }

}


export interface PitCounters {
  /** IRQ 0 rising edges sent. */
  irqEdges: number;
  /** Edges sent after their time because the machine ticked the PIT more than a period late. */
  lateIrqEdges: number;
  /** Edges not sent at all (more than MAX_EDGES_PER_TICK came due in one late tick). */
  missedIrqEdges: number;
}

export class Pit8254 implements Device, TimedDevice {
  readonly name = "pit-8254";
  readonly channels = [new PitChannel(0), new PitChannel(1), new PitChannel(2)];
  readonly counters: PitCounters = { irqEdges: 0, lateIrqEdges: 0, missedIrqEdges: 0 };

  constructor(private readonly ctx: DeviceContext) {
    ctx.io.register(0x40, 4, {
      in8: (port) => this.readPort(port),
      out8: (port, value) => this.writePort(port, value),
    }, this.name);
    ctx.addTimer(this);
  }

  reset(): void {
    for (const ch of this.channels) ch.powerOn();
    this.ctx.rescheduleTimer(this);
  }

  private readPort(port: number): number {
    if (port === 0x43) return 0xff; // the control word register is write-only
    return this.channels[port - 0x40].readCount(this.ctx.clock.now());
  }

  private writePort(port: number, value: number): void {
    const now = this.ctx.clock.now();
    if (port === 0x43) {
      const select = value >> 6;
      if (select === 3) {
        // Read-back: bit 5 clear = latch count, bit 4 clear = latch status, bits 1-3 select counters.
        for (let i = 0; i < 3; i++) {
          if ((value & (2 << i)) === 0) continue;
          const ch = this.channels[i];
          if ((value & 0x10) === 0) ch.latchStatus(now);
          if ((value & 0x20) === 0) ch.latchCount(now);
        }
        return;
      }
      this.channels[select].writeControl(value, now);
      if (select === 0) this.ctx.rescheduleTimer(this);
      return;
    }
    const index = port - 0x40;
    this.channels[index].writeCount(value, now);
    if (index === 0) this.ctx.rescheduleTimer(this);
  }

  /** Port 0x61 bit 0. */
  setGate2(level: boolean): void {
    this.channels[2].setGate(level, this.ctx.clock.now());
  }

  get gate2(): boolean {
    return this.channels[2].gate;
  }

  /** Port 0x61 bit 5. */
  out2(): boolean {
    return this.channels[2].outAt(this.ctx.clock.now());
  }

  /** Channel 2 square-wave frequency in Hz while it runs in mode 3 (the speaker tone), else 0. */
  channel2ToneHz(): number {
    const ch = this.channels[2];
    return ch.running && ch.mode === 3 && !ch.paused && ch.period > 0 ? PIT_HZ / ch.period : 0;
  }

  tick(now: number): number {
    const ch = this.channels[0];
    ch.sync(now);
    if (!ch.running || ch.paused) return Infinity;
    const t = ch.ticksAt(now);
    if (t >= ch.nextEdgeTick) {
      let due = 1;
      if (ch.mode === 2 || ch.mode === 3) due += Math.floor((t - ch.nextEdgeTick) / ch.period);
      ch.nextEdgeTick = ch.edgeAfter(t);
      const send = Math.min(due, MAX_EDGES_PER_TICK);
      this.counters.lateIrqEdges += send - 1;
      this.counters.missedIrqEdges += due - send;
      this.counters.irqEdges += send;
      for (let i = 0; i < send; i++) {
        this.ctx.irq.setIrq(0, true);
        this.ctx.irq.setIrq(0, false);
      }
    }
    return ch.tickToNs(ch.nextEdgeTick);
  }

  private static readonly STATE = new StateLayout<Pit8254>("pit-8254", 1, {
    channels: records(CHANNEL_FIELDS, 3),
    irqEdges: f64({ min: 0, in: "counters" }),
    lateIrqEdges: f64({ min: 0, in: "counters" }),
    missedIrqEdges: f64({ min: 0, in: "counters" }),
  }, {
    rule: (f) => {
      const i = (f.channels as { running: boolean; period: number }[]).findIndex((c) => c.running && c.period === 0);
      return i < 0 ? null : `field "channels[${i}].period": a running counter needs a period`;
    },
  });

  saveState(): SavedState {
    return Pit8254.STATE.save(this);
  }

  checkState(state: SavedState): void {
    Pit8254.STATE.check(state);
  }

  loadState(state: SavedState): void {
    Pit8254.STATE.load(this, state);
    this.ctx.rescheduleTimer(this);
  }
}
