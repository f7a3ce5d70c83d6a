import { describe, expect, it } from "vitest";
import { CpuScheduler, type SchedulerVm } from "../../src/hypervisor/cpu-scheduler.ts";

const vm = (id: string, share: number, speed: number, extra: Partial<SchedulerVm> = {}): SchedulerVm => ({
  id, share, capPercent: 100, active: true, idleFraction: 0, speed, missFraction: 0, ips: 0, ...extra,
});

describe("CpuScheduler (instruction budgets from measured speeds, time budgets as a guard)", () => {
  it("leaves a VM that runs alone, or beside idle and stopped ones, unlimited", () => {
    const s = new CpuScheduler();
    expect(s.plan([vm("a", 3, 50_000), vm("b", 1, 50_000, { active: false })]).get("a")).toEqual({ instructions: 0, timeUs: 0 });
    expect(s.plan([vm("a", 1, 50_000), vm("b", 1, 50_000, { idleFraction: 0.9 })]).get("a")).toEqual({ instructions: 0, timeUs: 0 });
  });

  it("gives competing VMs instruction budgets in the ratio of their shares, whatever their speeds", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    const plan = s.plan([vm("a", 300, 40_000), vm("b", 100, 40_000)]);
    expect(plan.get("a")!.instructions / plan.get("b")!.instructions).toBeCloseTo(3, 2);
    // The faster VM needs less of a core for the same instructions; the slow one gets more time.
    const p2 = s.plan([vm("fast", 1, 200_000), vm("slow", 1, 20_000)]);
    expect(p2.get("fast")!.instructions / p2.get("slow")!.instructions).toBeCloseTo(1, 2);
    const slowCores = p2.get("slow")!.instructions / 20_000 / 50;
    const fastCores = p2.get("fast")!.instructions / 200_000 / 50;
    expect(slowCores).toBeGreaterThan(5 * fastCores);
    // Nobody's instructions need more than one core, and all of them fit in the guest cores.
    expect(slowCores).toBeLessThanOrEqual(1);
    expect(slowCores + fastCores).toBeLessThanOrEqual(1.5);
  });

  it("guards each instruction budget with a time budget that has slack for a slower phase", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    const b = s.plan([vm("a", 1, 40_000), vm("b", 1, 40_000), vm("c", 1, 40_000)]).get("a")!;
    const needUs = (b.instructions / 40_000) * 1000;
    expect(b.timeUs).toBeGreaterThan(needUs);
    expect(b.timeUs).toBeLessThanOrEqual(50_000);
  });

  it("shrinks the headroom when a VM misses its budget and grows it back when none does", () => {
    const s = new CpuScheduler();
    const before = s.headroom;
    s.plan([vm("a", 1, 40_000, { missFraction: 0.5 }), vm("b", 1, 40_000)]);
    expect(s.headroom).toBeLessThan(before);
    const low = s.headroom;
    s.plan([vm("a", 1, 40_000), vm("b", 1, 40_000)]);
    expect(s.headroom).toBeGreaterThan(low);
  });

  it("holds the others back when the host runs one VM less than its budget, so the ratio holds", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    const first = s.plan([vm("a", 300, 40_000), vm("b", 100, 40_000)]);
    const rate = (id: string) => first.get(id)!.instructions / 50; // per ms
    // a executed 70% of its rate (its thread was descheduled), b all of its rate.
    let plan = first;
    for (let i = 0; i < 6; i++) {
      const b = plan.get("b")!.instructions / 50;
      plan = s.plan([vm("a", 300, 40_000, { ips: rate("a") * 0.7 * 1000 }), vm("b", 100, 40_000, { ips: b * 1000 })]);
    }
    const a = plan.get("a")!.instructions;
    const b = plan.get("b")!.instructions;
    // What each will execute: a 70% of its budget, b all of its (held back) budget.
    expect((a * 0.7) / b).toBeGreaterThan(2.85);
    expect((a * 0.7) / b).toBeLessThan(3.15);
    // Once a gets its time again, b's budget returns to a third of a's.
    for (let i = 0; i < 12; i++) {
      const p = plan;
      plan = s.plan([vm("a", 300, 40_000, { ips: (p.get("a")!.instructions / 50) * 1000 }), vm("b", 100, 40_000, { ips: (p.get("b")!.instructions / 50) * 1000 })]);
    }
    expect(plan.get("a")!.instructions / plan.get("b")!.instructions).toBeCloseTo(3, 1);
  });

  it("keeps the executed ratio while the headroom swings with misses (measured rates lag the budgets)", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    let plan = s.plan([vm("a", 300, 40_000), vm("b", 100, 40_000)]);
    // The hypervisor's smoothed rates (half old, half new per sample): a executes 80% of its
    // budget and reports misses every third sample (the headroom shrinks, then grows back), b all
    // of its budget.
    let ipsA = 0;
    let ipsB = 0;
    let executedA = 0;
    let executedB = 0;
    for (let i = 0; i < 40; i++) {
      const a = (plan.get("a")!.instructions / 50) * 1000 * 0.8;
      const b = (plan.get("b")!.instructions / 50) * 1000;
      if (i >= 10) {
        executedA += a;
        executedB += b;
      }
      ipsA = ipsA === 0 ? a : ipsA * 0.5 + a * 0.5;
      ipsB = ipsB === 0 ? b : ipsB * 0.5 + b * 0.5;
      plan = s.plan([vm("a", 300, 40_000, { ips: ipsA, missFraction: i % 3 === 0 ? 0.5 : 0 }), vm("b", 100, 40_000, { ips: ipsB })]);
    }
    expect(executedA / executedB).toBeGreaterThan(2.85);
    expect(executedA / executedB).toBeLessThan(3.15);
  });

  it("does not let a VM that gets under half of its budget stall the others", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    let plan = s.plan([vm("a", 100, 40_000), vm("b", 100, 40_000)]);
    for (let i = 0; i < 8; i++) {
      const p = plan;
      plan = s.plan([vm("a", 100, 40_000, { ips: 1 }), vm("b", 100, 40_000, { ips: (p.get("b")!.instructions / 50) * 1000 })]);
    }
    expect(plan.get("b")!.instructions / plan.get("a")!.instructions).toBeGreaterThanOrEqual(0.5 - 1e-9);
  });

  it("schedules by CPU time in proportion to the shares until every speed is measured", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    const plan = s.plan([vm("old", 1, 40_000), vm("new", 1, 0)]);
    expect(plan.get("old")).toEqual({ instructions: 0, timeUs: 0.75 * 50_000 });
    expect(plan.get("new")).toEqual({ instructions: 0, timeUs: 0.75 * 50_000 });
  });

  it("caps a VM to a percentage of one core, alone or competing", () => {
    const s = new CpuScheduler({ periodMs: 50 });
    expect(s.plan([vm("a", 1, 10_000, { capPercent: 25 })]).get("a")).toEqual({ instructions: 0, timeUs: 0.25 * 50_000 });
    expect(s.plan([vm("a", 1, 10_000, { capPercent: 10 }), vm("b", 1, 10_000)]).get("a")!.timeUs).toBe(0.1 * 50_000);
  });
});
