import { describe, expect, it } from "vitest";
import { CpuScheduler, type SchedulerVm } from "../../src/hypervisor/cpu-scheduler.ts";

const vm = (id: string, share: number, extra: Partial<SchedulerVm> = {}): SchedulerVm => ({
  id, share, capPercent: 100, active: true, cpuCores: 1, idleFraction: 0, exhaustedFraction: 0, ...extra,
});

/** A simulated guest: `wants` cores when not limited (1 = CPU-bound; less = it halts for the
 *  rest), possibly changing with the simulated time in seconds. `hostGives` is the fraction of
 *  what it asks that the host's OS actually runs it for. */
interface SimGuest {
  id: string;
  share: number;
  capPercent?: number;
  wants: number | ((seconds: number) => number);
  hostGives?: number;
}

/** Runs the scheduler against simulated guest workers on a host with `hostCores` cores, in 50 ms
 *  periods with a plan every 250 ms (as the hypervisor does), for `seconds` of simulated time.
 *  Threads compete for the host's cores equally (the OS knows nothing of shares). Returns each
 *  guest's CPU time over the last half of the run, in cores, and the last plan's entitlements. */
function simulate(guests: SimGuest[], opts: { guestCores: number; hostCores: number; seconds?: number }) {
  const periodMs = 50;
  const s = new CpuScheduler({ periodMs, guestCores: opts.guestCores });
  const periods = ((opts.seconds ?? 20) * 1000) / periodMs;
  const measured = new Map(guests.map((g) => [g.id, 0]));
  const window = new Map(guests.map((g) => [g.id, { used: 0, idle: 0, exhausted: 0 }]));
  const input = new Map(guests.map((g) => [g.id, vm(g.id, g.share, { capPercent: g.capPercent ?? 100, cpuCores: 0 })]));
  let plan = s.plan([...input.values()]);
  for (let p = 0; p < periods; p++) {
    // What each worker asks for this period (ms of CPU), then what the host runs it for.
    const asks = guests.map((g) => {
      const sliceMs = plan.get(g.id)!.timeUs / 1000;
      const limit = sliceMs > 0 ? Math.min(sliceMs, periodMs) : periodMs;
      const wants = (typeof g.wants === "number" ? g.wants : g.wants((p * periodMs) / 1000)) * periodMs;
      return { g, sliceMs, halts: wants < limit, ask: Math.min(wants, limit) * (g.hostGives ?? 1) };
    });
    const runs = equalSplit(asks.map((a) => a.ask), opts.hostCores * periodMs);
    // hostGives above 1: the worker counts more than its slice (a step that ran long).
    asks.forEach((a, i) => {
      const w = window.get(a.g.id)!;
      w.used += runs[i];
      if (a.halts) w.idle++;
      if (a.sliceMs > 0 && runs[i] >= a.sliceMs * 0.9) w.exhausted++;
      if (p >= periods / 2) measured.set(a.g.id, measured.get(a.g.id)! + runs[i]);
    });
    if ((p + 1) % 5 === 0) {
      for (const g of guests) {
        const w = window.get(g.id)!;
        Object.assign(input.get(g.id)!, { cpuCores: w.used / (5 * periodMs), idleFraction: w.idle / 5, exhaustedFraction: w.exhausted / 5 });
        window.set(g.id, { used: 0, idle: 0, exhausted: 0 });
      }
      plan = s.plan([...input.values()]);
    }
  }
  const cores = new Map([...measured].map(([id, ms]) => [id, ms / ((periods / 2) * periodMs)]));
  return { cores, plan };
}

/** The host OS: threads share the cores equally, none above what it asks or one core. */
function equalSplit(asks: number[], capacity: number): number[] {
  const out = asks.map(() => 0);
  let open = asks.map((_, i) => i).filter((i) => asks[i] > 0);
  let left = capacity;
  while (open.length > 0 && left > 1e-9) {
    const each = left / open.length;
    const done = open.filter((i) => asks[i] - out[i] <= each);
    if (done.length === 0) {
      for (const i of open) out[i] += each;
      break;
    }
    for (const i of done) {
      left -= asks[i] - out[i];
      out[i] = asks[i];
    }
    open = open.filter((i) => !done.includes(i));
  }
  return out;
}

describe("CpuScheduler (CPU-time shares, work-conserving)", () => {
  it("leaves a VM that runs alone, or beside stopped ones, unlimited and entitled to a core", () => {
    const s = new CpuScheduler({ guestCores: 1 });
    const alone = s.plan([vm("a", 3), vm("b", 1, { active: false })]);
    expect(alone.get("a")).toEqual({ timeUs: 0, entitledCores: 1 });
    expect(alone.get("b")!.entitledCores).toBe(0);
    // Beside a mostly halted VM on one guest core, the busy one gets all but what the quiet one
    // uses (plus room for it to grow); with a core each, both run unthrottled.
    const beside = [vm("a", 1), vm("b", 1, { idleFraction: 0.9, cpuCores: 0.04 })];
    expect(s.plan(beside).get("a")!.timeUs).toBe(47_500);
    s.guestCores = 2;
    expect(s.plan(beside).get("a")!.timeUs).toBe(0);
    expect(s.plan(beside).get("b")!.timeUs).toBe(0);
  });

  it("runs busy VMs unthrottled while there are no more of them than guest cores", () => {
    const s = new CpuScheduler({ guestCores: 2 });
    const plan = s.plan([vm("a", 300), vm("b", 100)]);
    expect(plan.get("a")!.timeUs).toBe(0);
    expect(plan.get("b")!.timeUs).toBe(0);
    const { cores } = simulate([{ id: "a", share: 300, wants: 1 }, { id: "b", share: 100, wants: 1 }], { guestCores: 2, hostCores: 2 });
    expect(cores.get("a")).toBeCloseTo(1, 2);
    expect(cores.get("b")).toBeCloseTo(1, 2);
  });

  it("gives two CPU-bound VMs at shares 3:1 CPU time 3:1, using the whole guest core", () => {
    const { cores, plan } = simulate([{ id: "a", share: 300, wants: 1 }, { id: "b", share: 100, wants: 1 }], { guestCores: 1, hostCores: 2 });
    expect(cores.get("a")! / cores.get("b")!).toBeCloseTo(3, 1);
    expect(cores.get("a")! + cores.get("b")!).toBeGreaterThanOrEqual(0.95);
    expect(plan.get("a")!.entitledCores).toBeCloseTo(0.75, 2);
    expect(plan.get("b")!.entitledCores).toBeCloseTo(0.25, 2);
  });

  it("divides by weight what single-threaded VMs can use: shares 2:1:1 on two cores give 1, 1/2, 1/2", () => {
    const { cores } = simulate(
      [{ id: "a", share: 200, wants: 1 }, { id: "b", share: 100, wants: 1 }, { id: "c", share: 100, wants: 1 }],
      { guestCores: 2, hostCores: 2 },
    );
    expect(cores.get("a")).toBeCloseTo(1, 1);
    expect(cores.get("b")).toBeCloseTo(0.5, 1);
    expect(cores.get("c")).toBeCloseTo(0.5, 1);
  });

  it("gives the time a mostly halted VM does not use to the busy one (work-conserving)", () => {
    const { cores, plan } = simulate([{ id: "busy", share: 100, wants: 1 }, { id: "quiet", share: 300, wants: 0.1 }], { guestCores: 1, hostCores: 2 });
    expect(cores.get("quiet")).toBeCloseTo(0.1, 2);
    expect(cores.get("busy")).toBeGreaterThanOrEqual(0.85);
    // The quiet VM could have three quarters if it wanted them.
    expect(plan.get("quiet")!.entitledCores).toBeCloseTo(0.75, 2);
  });

  it("gives a VM that starts wanting more its share within a few plans", () => {
    // b is quiet for 5 s, then CPU-bound; measured over the last 6 s of 12.
    const guests: SimGuest[] = [{ id: "a", share: 100, wants: 1 }, { id: "b", share: 100, wants: (t) => (t < 5 ? 0.05 : 1) }];
    const { cores } = simulate(guests, { guestCores: 1, hostCores: 2, seconds: 12 });
    expect(cores.get("b")).toBeCloseTo(0.5, 1);
    expect(cores.get("a")).toBeCloseTo(0.5, 1);
  });

  it("keeps a capped VM under its cap, alone or competing", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 2 });
    expect(s.plan([vm("c", 100, { capPercent: 30 })]).get("c")).toEqual({ timeUs: 15_000, entitledCores: 0.3 });
    const alone = simulate([{ id: "c", share: 100, capPercent: 30, wants: 1 }], { guestCores: 2, hostCores: 2 });
    expect(alone.cores.get("c")).toBeLessThanOrEqual(0.3);
    expect(alone.cores.get("c")).toBeGreaterThan(0.28);
    const competing = simulate(
      [{ id: "c", share: 1000, capPercent: 30, wants: 1 }, { id: "x", share: 100, wants: 1 }],
      { guestCores: 1, hostCores: 2 },
    );
    expect(competing.cores.get("c")).toBeLessThanOrEqual(0.3);
    // What the cap leaves goes to the other VM.
    expect(competing.cores.get("x")).toBeCloseTo(0.7, 1);
  });

  it("holds the ratio when the host runs one VM for only 70% of its slice", () => {
    const { cores } = simulate(
      [{ id: "a", share: 300, wants: 1, hostGives: 0.7 }, { id: "b", share: 100, wants: 1 }],
      { guestCores: 1, hostCores: 2 },
    );
    expect(cores.get("a")! / cores.get("b")!).toBeGreaterThan(2.55);
    expect(cores.get("a")! / cores.get("b")!).toBeLessThan(3.45);
  });

  it("holds the ratio when one VM runs 15% over its slices", () => {
    const { cores } = simulate(
      [{ id: "a", share: 300, wants: 1 }, { id: "b", share: 100, wants: 1, hostGives: 1.15 }],
      { guestCores: 1, hostCores: 2 },
    );
    expect(cores.get("a")! / cores.get("b")!).toBeGreaterThan(2.85);
    expect(cores.get("a")! / cores.get("b")!).toBeLessThan(3.15);
  });

  it("does not let a VM the host hardly runs hold the others below one half", () => {
    const { cores } = simulate(
      [{ id: "a", share: 100, wants: 1, hostGives: 0.02 }, { id: "b", share: 100, wants: 1 }],
      { guestCores: 1, hostCores: 2 },
    );
    expect(cores.get("b")).toBeGreaterThanOrEqual(0.25);
  });

  it("follows a change of the cores set aside for guests, and refuses nonsense", () => {
    const s = new CpuScheduler({ guestCores: 2 });
    expect(s.plan([vm("a", 1), vm("b", 1)]).get("a")!.timeUs).toBe(0);
    s.guestCores = 1;
    expect(s.plan([vm("a", 1), vm("b", 1)]).get("a")!.timeUs).toBe(25_000);
    expect(() => (s.guestCores = 0)).toThrow(/guest cores/);
    expect(() => new CpuScheduler({ periodMs: 1 })).toThrow(/period/);
  });
});
