// CPU-share scheduling. Every guest worker runs on its own thread and executes at most `budget`
// guest instructions per period (50 ms by default), then sleeps until the period ends. When VMs
// compete, the budgets are proportional to their shares, scaled by what the slowest-per-share VM
// can actually execute and by how many host cores there are, so executed instructions/s follow
// the shares. A headroom factor backs off when a VM misses its budget (the host is busier than
// measured) and creeps back up otherwise. A cap limits a VM to a percentage of one host core.
// A VM much slower per instruction than the others is given its share of CPU time instead, so a
// guest stuck in a slow emulation path cannot hold the other VMs to its pace.

export interface SchedulerVm {
  id: string;
  /** Relative weight, 1-1000. */
  share: number;
  /** Maximum CPU % of one host core, 1-100 (100 = uncapped). */
  capPercent: number;
  /** Running (not paused, stopped or crashed). */
  active: boolean;
  /** Measured guest instructions per millisecond of busy (executing) wall time; 0 when unknown. */
  speed: number;
  /** Fraction of recent periods spent halted (an idle guest does not compete). */
  idleFraction: number;
  /** Fraction of recent non-idle periods in which the VM did not use up its budget. */
  missFraction: number;
}

export interface SchedulerOptions {
  periodMs?: number;
  /** Host cores available to guests (the page and hypervisor need a little too). */
  guestCores?: number;
}

/** Slower than this fraction (5x slower) of the fastest competing VM's speed: scheduled by CPU time. */
const SLOW_FACTOR = 0.2;

/** Lowest headroom: low enough that on a host busy with other work the budgets still shrink to
 *  what every VM can actually get (only then do the instruction rates follow the shares). */
const HEADROOM_FLOOR = 0.15;

/** Smallest budget per period: enough that a slice is real work, not call overhead (which would
 *  make the VM look slow and shrink its budget further). */
const MIN_BUDGET = 20_000;

/** Budget in instructions per period; 0 = unlimited. */
export type BudgetPlan = Map<string, number>;

export class CpuScheduler {
  readonly periodMs: number;
  readonly guestCores: number;
  /** Fraction of the computed fair rate actually handed out; adapts to missed budgets. */
  headroom = 0.8;

  constructor(options: SchedulerOptions = {}) {
    this.periodMs = options.periodMs ?? 50;
    this.guestCores = options.guestCores ?? 1.5;
    if (!(this.periodMs >= 5 && this.periodMs <= 1000)) throw new RangeError(`scheduler: period must be 5-1000 ms, got ${this.periodMs}`);
    if (!(this.guestCores > 0)) throw new RangeError(`scheduler: guest cores must be positive, got ${this.guestCores}`);
  }

  plan(vms: readonly SchedulerVm[]): BudgetPlan {
    const plan: BudgetPlan = new Map();
    let competing = vms.filter((v) => v.active && v.idleFraction < 0.5);
    const measured = competing.filter((v) => v.speed > 0);
    const budgets = new Map<string, number>(); // instructions per ms; absent = unlimited

    // A VM just started has no measured speed for a tick or two. Leaving every VM unlimited then
    // would put all guest threads on the cores at once (starving the page); plan the newcomer at
    // the slowest measured speed instead (a guess that is too high only means it runs unthrottled).
    if (measured.length > 0 && measured.length < competing.length) {
      const guess = Math.min(...measured.map((v) => v.speed));
      competing = competing.map((v) => (v.speed > 0 ? v : { ...v, speed: guess }));
    }
    if (competing.length >= 2 && measured.length > 0) {
      const totalShare = competing.reduce((sum, v) => sum + v.share, 0);
      const fastest = Math.max(...competing.map((v) => v.speed));
      // A VM far slower per instruction than the others (an expensive emulation path) would pace
      // everyone at its rate; it gets its share of CPU time instead of its share of instructions.
      const slow = competing.filter((v) => v.speed < SLOW_FACTOR * fastest);
      const paced = competing.filter((v) => v.speed >= SLOW_FACTOR * fastest);
      // A paced VM that misses its budget in more than a few periods drags the ratio towards 1:1.
      // Not a slow one: its per-instruction cost swings (a booting kernel), so it misses budgets
      // sized from its average speed without the host being short of CPU, and backing everyone
      // off for that only throttled all guests to a fraction of the cores.
      // (Only once every speed is measured: a guessed budget may be missed by design.)
      if (measured.length === competing.length) {
        const missed = paced.some((v) => v.missFraction > 0.04);
        this.headroom = missed ? Math.max(HEADROOM_FLOOR, this.headroom * 0.92) : Math.min(0.9, this.headroom + 0.005);
      }
      let cores = this.guestCores;
      for (const v of slow) {
        const fraction = Math.min(1, (this.guestCores * v.share) / totalShare);
        cores -= fraction;
        if (fraction < 1) budgets.set(v.id, fraction * v.speed * this.headroom);
      }
      if (paced.length === 1 && cores < 1) budgets.set(paced[0].id, Math.max(0.05, cores) * paced[0].speed * this.headroom);
      else if (paced.length >= 2) {
        let perShare = Infinity; // instructions per ms per unit of share
        let demandPerUnit = 0; // host cores needed per unit of perShare
        for (const v of paced) {
          perShare = Math.min(perShare, v.speed / v.share); // no VM may need more than one core
          demandPerUnit += v.share / v.speed;
        }
        perShare = Math.min(perShare, Math.max(0.05, cores) / demandPerUnit) * this.headroom;
        for (const v of paced) budgets.set(v.id, perShare * v.share);
      }
    }

    for (const v of vms) {
      let budget = (budgets.get(v.id) ?? Infinity) * this.periodMs;
      if (v.capPercent < 100 && v.speed > 0) budget = Math.min(budget, (v.capPercent / 100) * v.speed * this.periodMs);
      else if (v.capPercent < 100) budget = Math.min(budget, 1000 * this.periodMs); // until measured: a cautious 1 MIPS
      plan.set(v.id, Number.isFinite(budget) ? Math.max(MIN_BUDGET, Math.round(budget)) : 0);
    }
    return plan;
  }
}
