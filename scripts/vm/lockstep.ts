// Several machines in one Node thread, interleaved in small slices, with their frames moved between
// slices. Each machine has its own virtual clock; all of them follow one simulated wall clock that
// this runner advances: by the longest slice's instructions at a nominal speed while any guest
// computes, straight to the earliest timer deadline when all of them wait (and no frame is in
// flight). Guests then see each other answer in guest time, whatever the host's load, and idle
// stretches cost nothing.

import type { Machine } from "../../src/emulator/machine-api.ts";

export interface LockstepOptions {
  /** Instructions per machine per round (default 200,000). */
  sliceInstructions?: number;
  /** Nominal guest speed for the simulated clock, instructions per ms (default 100,000: 100 MIPS). */
  instructionsPerMs?: number;
  /** Called after every round (e.g. LocalNetwork.pump); returns how much moved (frames). */
  between?: () => number;
}

const MAX_IDLE_JUMP_MS = 1000;

export class Lockstep {
  private wallMs = 0;
  /** Pass as MachineOptions.wallClock to every machine run here. */
  readonly wallClock = () => this.wallMs;
  private readonly machines: Machine[] = [];
  private readonly slice: number;
  private readonly perMs: number;

  constructor(private readonly options: LockstepOptions = {}) {
    this.slice = options.sliceInstructions ?? 200_000;
    this.perMs = options.instructionsPerMs ?? 100_000;
  }

  add(machine: Machine): void {
    this.machines.push(machine);
  }

  /** Simulated milliseconds since the start. */
  get nowMs(): number {
    return this.wallMs;
  }

  /** One round: every machine runs a slice, frames move, the clock advances. */
  step(): void {
    let longest = 0;
    let soonestMs = Infinity;
    let allWaiting = true;
    for (const m of this.machines) {
      const r = m.runSlice({ maxInstructions: this.slice });
      if (r.reason === "crashed" || r.reason === "powered-off") throw new Error(`a machine stopped: ${r.reason} (${m.stopReason})`);
      longest = Math.max(longest, r.executed);
      if (r.reason === "halted") soonestMs = Math.min(soonestMs, (r.nextDeadlineNs - m.stats().uptimeNs) / 1e6);
      else allWaiting = false;
    }
    const moved = this.options.between?.() ?? 0;
    if (allWaiting && moved === 0) this.wallMs += Math.min(MAX_IDLE_JUMP_MS, Math.max(0.01, soonestMs));
    else this.wallMs += Math.max(0.01, longest / this.perMs);
  }
}
