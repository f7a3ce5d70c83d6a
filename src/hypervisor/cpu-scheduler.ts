// CPU-share scheduling. Every guest worker runs on its own thread and, per period (50 ms by
// default), may execute at most an instruction budget and at most a time budget, then sleeps until
// the period ends. When VMs compete, their instruction rates follow their shares: two CPU-bound
// VMs at shares 3:1 execute instructions at 3:1 even when one is in a phase where instructions
// cost more (a booting kernel, code not yet compiled, another memtest86+ test). The time each VM
// needs for its share follows from its measured speed (instructions per millisecond of
// execution); together they fit in the host cores set aside for guests, and none needs more than
// one core. A slow VM therefore gets more CPU time, not fewer instructions than its share.
//
// The instruction budget is what keeps the ratio exact: a VM that became faster than measured
// finishes it early and sleeps. The time budget, with slack above what the measured speed needs,
// protects the others from a VM that became slower than measured until its speed is measured
// again. A VM without a measured speed gets a time budget at its fair share of the cores only. A
// cap limits a VM to a percentage of one core.

export interface SchedulerVm {
  id: string;
  /** Relative weight, 1-1000. */
  share: number;
  /** Maximum CPU % of one host core, 1-100 (100 = uncapped). */
  capPercent: number;
  /** Running (not paused, stopped or crashed). */
  active: boolean;
  /** Fraction of recent periods spent halted (an idle guest does not compete). */
  idleFraction: number;
  /** Measured guest instructions per millisecond of execution; 0 = not measured yet. */
  speed: number;
  /** Fraction of recent non-idle periods in which the VM did not finish its instruction budget
   *  although its time budget was not used up (the host did not give it the time). */
  missFraction: number;
  /** Measured guest instructions per second, recent (smoothed); 0 = not measured yet. */
  ips: number;
}

export interface SchedulerOptions {
  periodMs?: number;
  /** Host cores available to guests (the page and hypervisor need a little too). */
  guestCores?: number;
}

/** A VM's limits for one period; 0 = unlimited. */
export interface Budget {
  instructions: number;
  timeUs: number;
}

export type BudgetPlan = Map<string, Budget>;

/** Time allowed above what the measured speed needs for the instruction budget. */
const TIME_SLACK = 1.5;
/** The most of one core a VM's instruction budget may need at its measured speed: the rest of its
 *  thread's time goes to the screen, counters and sleeping in time. */
const CORE_LIMIT = 0.9;
/** Headroom: the fraction of the computed rates handed out. Speeds swing (compiled code, guest
 *  phases); a VM that misses its budget bends the ratio, so misses shrink it, quiet periods
 *  grow it back. */
const HEADROOM_MIN = 0.5;
const HEADROOM_MAX = 0.95;
/** Smallest budgets per period: enough that a slice is real work, not call overhead. */
const MIN_TIME_US = 500;
const MIN_INSTRUCTIONS = 10_000;
/** The least fulfilment the others are held back to: a VM that gets less than half of its budget
 *  (for reasons of its own) must not stall the rest. */
const FULFILMENT_FLOOR = 0.5;

export class CpuScheduler {
  readonly periodMs: number;
  readonly guestCores: number;
  headroom = 0.9;
  /** Per competing VM: the instruction rate (per ms) handed out by the last plan, and the smoothed
   *  fraction of its handed-out rate it has executed since. */
  private readonly handedOut = new Map<string, number>();
  private readonly fulfilment = new Map<string, number>();

  constructor(options: SchedulerOptions = {}) {
    this.periodMs = options.periodMs ?? 50;
    this.guestCores = options.guestCores ?? 1.5;
    if (!(this.periodMs >= 5 && this.periodMs <= 1000)) throw new RangeError(`scheduler: period must be 5-1000 ms, got ${this.periodMs}`);
    if (!(this.guestCores > 0)) throw new RangeError(`scheduler: guest cores must be positive, got ${this.guestCores}`);
  }

  plan(vms: readonly SchedulerVm[]): BudgetPlan {
    const plan: BudgetPlan = new Map();
    const period = this.periodMs;
    for (const v of vms) plan.set(v.id, { instructions: 0, timeUs: 0 });
    const competing = vms.filter((v) => v.active && v.idleFraction < 0.5);
    const measured = competing.every((v) => v.speed > 0);
    if (competing.length >= 2) {
      if (measured) {
        const missed = competing.some((v) => v.missFraction > 0.1);
        this.headroom = missed ? Math.max(HEADROOM_MIN, this.headroom * 0.9) : Math.min(HEADROOM_MAX, this.headroom + 0.01);
        // Instructions per ms per unit of share (k): no VM may need more than CORE_LIMIT of a
        // core, and all together no more than the guest cores.
        let k = Infinity;
        let coresPerK = 0;
        for (const v of competing) {
          k = Math.min(k, (CORE_LIMIT * v.speed) / v.share);
          coresPerK += v.share / v.speed;
        }
        k = Math.min(k, this.guestCores / coresPerK) * this.headroom;
        // A VM the host runs less than its budget needs (its thread descheduled, or stepping
        // aside for the page) would bend the ratio: the others are held back to the same fraction
        // of their budgets, so the shortfall is shared in the ratio of the shares.
        this.measureFulfilment(competing);
        let worst = 1;
        for (const v of competing) worst = Math.min(worst, this.fulfilmentOf(v));
        worst = Math.max(FULFILMENT_FLOOR, worst);
        for (const v of competing) {
          const rate = k * v.share * Math.min(1, worst / this.fulfilmentOf(v)); // instructions per ms
          this.handedOut.set(v.id, rate);
          const cores = rate / v.speed;
          plan.set(v.id, {
            instructions: Math.max(MIN_INSTRUCTIONS, Math.round(rate * period)),
            timeUs: cores * TIME_SLACK >= 1 ? 0 : Math.max(MIN_TIME_US, Math.round(cores * TIME_SLACK * period * 1000)),
          });
        }
      } else {
        // Until every speed is known: CPU time in proportion to the shares.
        const totalShare = competing.reduce((sum, v) => sum + v.share, 0);
        const perShare = Math.min(this.guestCores / totalShare, 1 / Math.max(...competing.map((v) => v.share)));
        for (const v of competing) {
          const cores = perShare * v.share;
          plan.set(v.id, { instructions: 0, timeUs: cores >= 1 ? 0 : Math.max(MIN_TIME_US, Math.round(cores * period * 1000)) });
        }
      }
    }
    // Fulfilment is about rates handed out by speed: VMs that stopped competing start afresh.
    const rated = competing.length >= 2 && measured;
    for (const id of [...this.handedOut.keys()]) if (!rated || !competing.some((v) => v.id === id)) this.forget(id);
    for (const v of vms) {
      if (v.capPercent >= 100) continue;
      const b = plan.get(v.id)!;
      const capUs = Math.max(MIN_TIME_US, Math.round((v.capPercent / 100) * period * 1000));
      b.timeUs = b.timeUs === 0 ? capUs : Math.min(b.timeUs, capUs);
    }
    return plan;
  }

  /** What a VM executed of the rate it was handed out (0.1-1, smoothed); 1 until measured. */
  private fulfilmentOf(v: SchedulerVm): number {
    return this.fulfilment.get(v.id) ?? 1;
  }

  /** Updates each competing VM's fulfilment from its latest measured rate, over its non-idle
   *  time, against the rate the last plan handed it (once per plan). */
  private measureFulfilment(competing: readonly SchedulerVm[]): void {
    for (const v of competing) {
      const rate = this.handedOut.get(v.id);
      if (!rate || !(v.ips > 0)) continue;
      const busy = Math.max(0.05, 1 - v.idleFraction);
      const now = Math.min(1, Math.max(0.1, v.ips / 1000 / (rate * busy)));
      const old = this.fulfilment.get(v.id);
      this.fulfilment.set(v.id, old === undefined ? now : old * 0.5 + now * 0.5);
    }
  }

  private forget(id: string): void {
    this.handedOut.delete(id);
    this.fulfilment.delete(id);
  }
}
