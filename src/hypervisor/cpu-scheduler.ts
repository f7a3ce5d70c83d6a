// CPU-share scheduling by CPU time, like a hypervisor's credit scheduler. Every guest worker runs
// on its own thread and may execute for at most `budget` microseconds of wall time per period
// (50 ms by default), then sleeps until the period ends. When VMs compete, their budgets are
// proportional to their shares, scaled so that together they fit in the host cores set aside for
// guests and no VM needs more than one core. Two VMs doing the same work at shares 3:1 thus
// execute instructions at 3:1, and a VM whose instructions are expensive (a booting kernel) still
// gets its share of the CPU rather than being held to, or holding others to, an instruction pace.
// Time budgets need no speed estimate, so a guest whose speed jumps (its loop just got compiled)
// is scheduled correctly from the next slice. A cap limits a VM to a percentage of one core.

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
}

export interface SchedulerOptions {
  periodMs?: number;
  /** Host cores available to guests (the page and hypervisor need a little too). */
  guestCores?: number;
}

/** Smallest budget per period: enough that a slice is real work, not call overhead. */
const MIN_BUDGET_US = 500;

/** Budget in microseconds of execution per period; 0 = unlimited. */
export type BudgetPlan = Map<string, number>;

export class CpuScheduler {
  readonly periodMs: number;
  readonly guestCores: number;

  constructor(options: SchedulerOptions = {}) {
    this.periodMs = options.periodMs ?? 50;
    this.guestCores = options.guestCores ?? 1.5;
    if (!(this.periodMs >= 5 && this.periodMs <= 1000)) throw new RangeError(`scheduler: period must be 5-1000 ms, got ${this.periodMs}`);
    if (!(this.guestCores > 0)) throw new RangeError(`scheduler: guest cores must be positive, got ${this.guestCores}`);
  }

  /** Each VM's fraction of one core (1 = a whole core, Infinity = unlimited). */
  fractions(vms: readonly SchedulerVm[]): Map<string, number> {
    const out = new Map<string, number>();
    const competing = vms.filter((v) => v.active && v.idleFraction < 0.5);
    if (competing.length >= 2) {
      const totalShare = competing.reduce((sum, v) => sum + v.share, 0);
      const maxShare = Math.max(...competing.map((v) => v.share));
      // Proportional, and no VM above one core: the ratios hold exactly (handing one VM's unusable
      // excess to another would bend them).
      const perShare = Math.min(this.guestCores / totalShare, 1 / maxShare);
      for (const v of competing) out.set(v.id, perShare * v.share);
    }
    for (const v of vms) {
      let f = out.get(v.id) ?? Infinity;
      if (v.capPercent < 100) f = Math.min(f, v.capPercent / 100);
      out.set(v.id, f);
    }
    return out;
  }

  plan(vms: readonly SchedulerVm[]): BudgetPlan {
    const plan: BudgetPlan = new Map();
    for (const [id, f] of this.fractions(vms)) {
      plan.set(id, f >= 1 ? 0 : Math.max(MIN_BUDGET_US, Math.round(f * this.periodMs * 1000)));
    }
    return plan;
  }
}
