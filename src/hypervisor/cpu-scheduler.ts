// CPU-time shares, work-conserving (as Xen's credit scheduler or Linux cgroups' cpu.weight): a VM's
// share is its weight for host CPU time when the VMs that want CPU would need more than the cores
// set aside for guests. Each guest worker runs on its own thread (at most one core) and measures
// its own CPU time; the plan turns weights into a time slice per period for each VM only while
// they compete. Time a VM does not want (halted, paused, stopped) goes to the others: its demand
// is what it used lately plus room to grow, and the rest is divided by weight among the VMs that
// want more (weighted max-min fairness). A lone VM, or fewer VMs wanting CPU than guest cores,
// runs unthrottled; a cap limits a VM to a fraction of one core whatever the others do.

export interface SchedulerVm {
  id: string;
  /** Relative weight, 1-1000. */
  share: number;
  /** Maximum CPU % of one host core, 1-100 (100 = uncapped). */
  capPercent: number;
  /** Running (not paused, stopped or crashed). */
  active: boolean;
  /** Host CPU the VM's worker used lately, in cores (its own measure); 0 = not measured yet. */
  cpuCores: number;
  /** Fraction of recent periods in which the guest halted (waited for an interrupt). */
  idleFraction: number;
  /** Fraction of recent periods in which the VM used up its time slice (it wanted more). */
  exhaustedFraction: number;
}

export interface SchedulerOptions {
  periodMs?: number;
  /** Host cores set aside for guests. */
  guestCores?: number;
}

/** A VM's part of one plan. */
export interface Allotment {
  /** Microseconds of CPU time per period; 0 = unlimited. */
  timeUs: number;
  /** The cores its share entitles it to: what it gets if it wants all it can use while the
   *  others keep wanting what they want now. */
  entitledCores: number;
}

export type CpuPlan = Map<string, Allotment>;

/** A VM that halts in fewer periods than this fraction wants all the CPU it can get... */
const SATURATED_IDLE_BELOW = 0.5;
/** ...as does one that used up its slice in at least this fraction of periods. */
const SATURATED_EXHAUSTED_FROM = 0.25;
/** A VM that wants less than it could get is planned for its recent use times this, so it can
 *  grow between plans (it is saturated once it uses all of that). */
const DEMAND_GROWTH = 1.25;
/** The least demand planned for an active VM (a halted guest still takes interrupts). */
const MIN_DEMAND = 0.02;
/** Smallest slice per period: enough that a slice is real work, not call overhead. */
const MIN_TIME_US = 500;
/** The least fulfilment the others are held back to: a VM the host runs at less than half of its
 *  slice (for reasons of its own) must not stall the rest. */
const FULFILMENT_FLOOR = 0.5;

export class CpuScheduler {
  readonly periodMs: number;
  private cores: number;
  /** Per VM with a slice last plan: the cores handed out, and the smoothed fraction of them it
   *  has used since (above 1 when it ran over). */
  private readonly handedOut = new Map<string, number>();
  private readonly fulfilment = new Map<string, number>();

  constructor(options: SchedulerOptions = {}) {
    this.periodMs = options.periodMs ?? 50;
    if (!(this.periodMs >= 5 && this.periodMs <= 1000)) throw new RangeError(`scheduler: period must be 5-1000 ms, got ${this.periodMs}`);
    this.cores = checkedCores(options.guestCores ?? 1);
  }

  get guestCores(): number {
    return this.cores;
  }

  set guestCores(cores: number) {
    this.cores = checkedCores(cores);
  }

  plan(vms: readonly SchedulerVm[]): CpuPlan {
    const plan: CpuPlan = new Map();
    const period = this.periodMs;
    const active = vms.filter((v) => v.active);
    const demand = new Map(active.map((v) => [v.id, demandOf(v)]));
    const allocation = fairShares(active, demand, this.cores);
    let wanted = 0;
    for (const d of demand.values()) wanted += d;
    const contended = wanted > this.cores;
    // A VM the host runs less than its slice (its thread waits for a core, or steps aside for the
    // page) would bend the ratio: the others are held back to the same fraction of their slices,
    // so the shortfall is shared in the ratio of the shares. A VM that runs over its slices (its
    // thread descheduled inside a step, counted as its time) is held back by as much.
    if (contended) this.measureFulfilment(active);
    let worst = 1;
    if (contended) for (const v of active) if (saturated(v)) worst = Math.min(worst, this.fulfilmentOf(v));
    worst = Math.max(FULFILMENT_FLOOR, worst);
    for (const v of vms) {
      const ceiling = ceilingOf(v);
      if (!v.active) {
        plan.set(v.id, { timeUs: ceiling < 1 ? slice(ceiling, period) : 0, entitledCores: 0 });
        continue;
      }
      const entitled = fairShares(active, new Map(demand).set(v.id, ceiling), this.cores).get(v.id)!;
      let cores = ceiling;
      if (contended) {
        cores = allocation.get(v.id)! * (saturated(v) ? Math.min(1, worst / this.fulfilmentOf(v)) : 1);
        this.handedOut.set(v.id, cores);
      }
      plan.set(v.id, { timeUs: cores < 1 ? slice(cores, period) : 0, entitledCores: entitled });
    }
    // Fulfilment is measured against slices handed out under contention: otherwise start afresh.
    for (const id of [...this.handedOut.keys()]) if (!contended || !demand.has(id)) this.forget(id);
    return plan;
  }

  /** What a VM used of the slice it was handed (0.1-2, smoothed); 1 until measured. */
  private fulfilmentOf(v: SchedulerVm): number {
    return this.fulfilment.get(v.id) ?? 1;
  }

  private measureFulfilment(active: readonly SchedulerVm[]): void {
    for (const v of active) {
      const handed = this.handedOut.get(v.id);
      if (!handed || !(v.cpuCores > 0) || !saturated(v)) continue;
      const now = Math.min(2, Math.max(0.1, v.cpuCores / handed));
      const old = this.fulfilment.get(v.id);
      this.fulfilment.set(v.id, old === undefined ? now : old * 0.5 + now * 0.5);
    }
  }

  private forget(id: string): void {
    this.handedOut.delete(id);
    this.fulfilment.delete(id);
  }
}

function checkedCores(cores: number): number {
  if (!(cores > 0 && cores <= 1024)) throw new RangeError(`scheduler: guest cores must be 0-1024 (more than 0), got ${cores}`);
  return cores;
}

/** The most a VM can use: one core (one guest thread), or less under a cap. */
function ceilingOf(v: SchedulerVm): number {
  return Math.min(1, Math.max(0.01, v.capPercent / 100));
}

function saturated(v: SchedulerVm): boolean {
  return v.idleFraction < SATURATED_IDLE_BELOW || v.exhaustedFraction >= SATURATED_EXHAUSTED_FROM || !(v.cpuCores > 0);
}

/** The cores a VM would use if it got them. */
function demandOf(v: SchedulerVm): number {
  const ceiling = ceilingOf(v);
  return saturated(v) ? ceiling : Math.min(ceiling, Math.max(MIN_DEMAND, v.cpuCores * DEMAND_GROWTH));
}

function slice(cores: number, periodMs: number): number {
  return Math.max(MIN_TIME_US, Math.round(cores * periodMs * 1000));
}

/** Weighted max-min fair division of `cores` among the VMs, none above its demand: VMs that want
 *  less than their weight's part get what they want, the rest is divided again by weight. */
export function fairShares(vms: readonly SchedulerVm[], demand: ReadonlyMap<string, number>, cores: number): Map<string, number> {
  const out = new Map<string, number>();
  let open = vms.filter((v) => (demand.get(v.id) ?? 0) > 0);
  for (const v of vms) out.set(v.id, 0);
  let left = cores;
  while (open.length > 0 && left > 1e-9) {
    const weight = open.reduce((sum, v) => sum + v.share, 0);
    const perShare = left / weight;
    const filled = open.filter((v) => demand.get(v.id)! <= perShare * v.share);
    if (filled.length === 0) {
      for (const v of open) out.set(v.id, perShare * v.share);
      return out;
    }
    for (const v of filled) {
      out.set(v.id, demand.get(v.id)!);
      left -= demand.get(v.id)!;
    }
    open = open.filter((v) => !filled.includes(v));
  }
  return out;
}
