import { describe, expect, it } from "vitest";
import { CpuScheduler, type SchedulerVm } from "../../src/hypervisor/cpu-scheduler.ts";

const vm = (id: string, share: number, speed: number, extra: Partial<SchedulerVm> = {}): SchedulerVm => ({
  id, share, capPercent: 100, active: true, speed, idleFraction: 0, missFraction: 0, ...extra,
});

describe("CpuScheduler", () => {
  it("leaves a VM that runs alone unlimited", () => {
    const s = new CpuScheduler();
    expect(s.plan([vm("a", 3, 50_000), vm("b", 1, 50_000, { active: false })]).get("a")).toBe(0);
  });

  it("gives competing VMs budgets in the ratio of their shares, within one core each", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    const plan = s.plan([vm("a", 3, 40_000), vm("b", 1, 40_000)]);
    const a = plan.get("a")!;
    const b = plan.get("b")!;
    expect(a / b).toBeCloseTo(3, 2);
    expect(a).toBeLessThanOrEqual(40_000 * 50); // never more than one core can do
    // Comparable but different speeds still give an instruction ratio that follows the shares.
    const p2 = s.plan([vm("a", 1, 80_000), vm("b", 1, 20_000)]);
    expect(p2.get("a")! / p2.get("b")!).toBeCloseTo(1, 2);
    expect(p2.get("b")!).toBeLessThanOrEqual(20_000 * 50);
  });

  it("ignores idle guests and backs off when budgets are missed", () => {
    const s = new CpuScheduler();
    expect(s.plan([vm("a", 1, 40_000), vm("b", 1, 40_000, { idleFraction: 0.9 })]).get("a")).toBe(0);
    const before = s.headroom;
    s.plan([vm("a", 1, 40_000, { missFraction: 0.5 }), vm("b", 1, 40_000)]);
    expect(s.headroom).toBeLessThan(before);
  });

  it("budgets a newly started VM at the slowest measured speed instead of leaving everyone unlimited", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.25 });
    const plan = s.plan([vm("old", 1, 40_000), vm("new", 1, 0)]);
    expect(plan.get("old")!).toBeGreaterThan(0);
    expect(plan.get("new")!).toBe(plan.get("old")!);
    // Together they are planned within the guest cores (at the guessed speed).
    expect(plan.get("old")! + plan.get("new")!).toBeLessThanOrEqual(1.25 * 40_000 * 50);
    // The guess does not move the headroom; nothing measured at all stays unlimited.
    const h = s.headroom;
    s.plan([vm("old", 1, 40_000, { missFraction: 0.5 }), vm("new", 1, 0)]);
    expect(s.headroom).toBe(h);
    expect(s.plan([vm("a", 1, 0), vm("b", 1, 0)]).get("a")).toBe(0);
  });

  it("caps a VM to a percentage of one core", () => {
    const s = new CpuScheduler({ periodMs: 50 });
    expect(s.plan([vm("a", 1, 10_000, { capPercent: 25 })]).get("a")).toBe(0.25 * 10_000 * 50);
  });
});

describe("CpuScheduler with a much slower VM", () => {
  it("does not back everyone off when only the slow VM (scheduled by CPU time) misses its budget", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.25 });
    const before = s.headroom;
    s.plan([vm("fast", 1, 50_000), vm("slow", 1, 1_000, { missFraction: 0.5 })]);
    expect(s.headroom).toBeGreaterThan(before);
    s.plan([vm("fast", 1, 50_000, { missFraction: 0.5 }), vm("slow", 1, 1_000)]);
    expect(s.headroom).toBeLessThan(before);
  });


  it("schedules the slow VM by CPU time so it does not pace the fast one", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    const plan = s.plan([vm("fast", 1, 50_000), vm("slow", 1, 1_000)]);
    // The slow VM may use up to its half of the cores (0.75 core → capped budget); the fast VM gets
    // the remaining 0.75 core, far more instructions than the slow VM's pace would allow.
    expect(plan.get("slow")!).toBeLessThanOrEqual(1_000 * 50);
    expect(plan.get("fast")!).toBeGreaterThan(0.5 * 50_000 * 50 * 0.5);
  });
});
