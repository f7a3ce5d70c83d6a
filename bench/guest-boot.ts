// One benchmark run in this process: boot the default Linux guest with one engine (Hypertab or
// v86) to its banner and shell prompt, optionally time a busybox shell loop, and print one JSON line.
// bench/run.ts starts a fresh process per run so runs do not share JIT warm-up or heap.

import { readFileSync, realpathSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";
import { resolve } from "node:path";
import type { MachineConfig } from "../src/emulator/machine-config.ts";
import { runMachine } from "../scripts/vm/run-machine.ts";
import type { Machine } from "../src/emulator/machine-api.ts";
import { measureSnapshot, type SnapshotFigures } from "./snapshot.ts";

export type Engine = "hypertab" | "v86";

export interface BootRunResult {
  engine: Engine;
  ok: boolean;
  /** Seconds from start to the banner / to the first prompt (null if not reached). */
  bannerSeconds: number | null;
  promptSeconds: number | null;
  /** Seconds for the shell loop (null when not run or not finished). */
  loopSeconds: number | null;
  /** Guest instructions per second during the shell loop, in millions (null when not measured). */
  loopMips: number | null;
  /** Process RSS minus guest RAM, MiB, measured at the prompt (or at the end). Guest RAM pages the
   *  guest never touched are not resident, so this can be below the true overhead (even negative). */
  overheadMiB: number;
  rssMiB: number;
  /** Where the memory is at that moment (V8 heap, code, array buffers), to see what to shrink. */
  memory: string;
  error: string | null;
  serialTail: string;
  /** Snapshot figures at the prompt (Hypertab: bench/snapshot.ts; v86: its save_state()), or null. */
  snapshot: SnapshotFigures | null;
  v86SaveState: { ms: number; bytes: number } | null;
}

/** The result of a run that failed before it measured anything: what it knows of its memory, and why. */
export function failedBootRun(engine: Engine, error: string, memory: { overheadMiB: number; rssMiB: number; memory: string }): BootRunResult {
  return { engine, ok: false, bannerSeconds: null, promptSeconds: null, loopSeconds: null, loopMips: null, ...memory, error, serialTail: "", snapshot: null, v86SaveState: null };
}

export interface BootRunSpec {
  engine: Engine;
  bios: string;
  vgaBios: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  memoryMiB: number;
  banner: string;
  prompt: string;
  timeoutSeconds: number;
  /** Shell loop to time after the prompt, or "" to skip. */
  loop: string;
  loopTimeoutSeconds: number;
}

export const SHELL_LOOP = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done";
/** Printed after the loop; written so the echoed command line does not contain it. */
const LOOP_MARK_CMD = "echo LOOP$((40+2))DONE";
const LOOP_MARK = "LOOP42DONE";

const MiB = 1024 * 1024;

/** Serial bytes kept for matching and for the result's tail. */
const TAIL_BYTES = 512;

/** Watches the serial byte stream for the banner, the prompt and the loop marker. It keeps only
 *  the last bytes, in a fixed buffer: the watcher runs in the measured process, and a growing
 *  string searched on every byte would make V8's young generation grow by tens of MiB (the
 *  RSS figure would measure the benchmark, not the emulator). */
class SerialWatch {
  private readonly tail = new Uint8Array(TAIL_BYTES);
  private count = 0;
  bannerAt: number | null = null;
  promptAt: number | null = null;
  loopStartedAt: number | null = null;
  loopDoneAt: number | null = null;
  private loopStartInstructions = 0;
  private loopInstructions: number | null = null;
  /** Guest instructions executed so far (set by the engine's runner). */
  instructions: () => number = () => 0;
  constructor(
    private readonly spec: BootRunSpec,
    private readonly t0: number,
    private readonly send: (s: string) => void,
    private readonly done: () => void,
  ) {}
  byte(b: number): void {
    this.tail[this.count++ % TAIL_BYTES] = b;
    const now = performance.now();
    if (this.bannerAt === null && this.endsWith(this.spec.banner)) this.bannerAt = now;
    if (this.promptAt === null && this.bannerAt !== null && this.endsWith(this.spec.prompt)) {
      this.promptAt = now;
      if (this.spec.loop) {
        this.loopStartedAt = performance.now();
        this.loopStartInstructions = this.instructions();
        this.send(`${this.spec.loop}; ${LOOP_MARK_CMD}\n`);
      } else this.done();
    }
    if (this.loopStartedAt !== null && this.loopDoneAt === null && this.endsWith(LOOP_MARK)) {
      this.loopDoneAt = now;
      this.loopInstructions = this.instructions() - this.loopStartInstructions;
      this.done();
    }
  }
  /** Whether the bytes seen so far end with `s` (ASCII, at most TAIL_BYTES long). */
  private endsWith(s: string): boolean {
    if (s.length > this.count || s.length > TAIL_BYTES) return false;
    for (let i = 1; i <= s.length; i++) if (this.tail[(this.count - i) % TAIL_BYTES] !== s.charCodeAt(s.length - i)) return false;
    return true;
  }
  private text(): string {
    const n = Math.min(this.count, TAIL_BYTES);
    let t = "";
    for (let i = this.count - n; i < this.count; i++) t += String.fromCharCode(this.tail[i % TAIL_BYTES]);
    return t;
  }
  result(engine: Engine, error: string | null, overheadMiB: number, memory: string): BootRunResult {
    const rssMiB = Math.round((overheadMiB + this.spec.memoryMiB) * 10) / 10;
    const s = (t: number | null, from = this.t0) => (t === null ? null : (t - from) / 1000);
    return {
      engine,
      ok: this.promptAt !== null && error === null,
      bannerSeconds: s(this.bannerAt),
      promptSeconds: s(this.promptAt),
      loopSeconds: this.loopStartedAt !== null && this.loopDoneAt !== null ? s(this.loopDoneAt, this.loopStartedAt) : null,
      loopMips:
        this.loopInstructions !== null && this.loopDoneAt !== null && this.loopStartedAt !== null
          ? Math.round(this.loopInstructions / ((this.loopDoneAt - this.loopStartedAt) * 1000) * 10) / 10
          : null,
      overheadMiB,
      rssMiB,
      memory,
      error,
      serialTail: this.text().slice(-400),
      snapshot: null,
      v86SaveState: null,
    };
  }
}

/** Calls `expire` when the prompt is not reached in time, or the shell loop does not finish in time. */
function watchTimeouts(spec: BootRunSpec, watch: SerialWatch, expire: (why: string) => void): void {
  const bootTimer = setTimeout(() => {
    if (watch.promptAt === null) expire(`no shell prompt within ${spec.timeoutSeconds} s${watch.bannerAt === null ? " (no banner either)" : ""}`);
  }, spec.timeoutSeconds * 1000);
  bootTimer.unref();
  const poll = setInterval(() => {
    if (watch.loopStartedAt === null) return;
    clearInterval(poll);
    const loopTimer = setTimeout(() => {
      if (watch.loopDoneAt === null) expire(`shell loop did not finish within ${spec.loopTimeoutSeconds} s`);
    }, spec.loopTimeoutSeconds * 1000);
    loopTimer.unref();
  }, 100);
  poll.unref();
}

const overhead = (memoryMiB: number) => Math.round((process.memoryUsage().rss / MiB - memoryMiB) * 10) / 10;
const mib = (bytes: number) => (bytes / MiB).toFixed(1);
/** The process's memory by kind: V8's heap (code space apart) and array buffers (guest RAM included). */
function memoryBreakdown(): string {
  const m = process.memoryUsage();
  const spaces = getHeapSpaceStatistics();
  const code = spaces.filter((s) => s.space_name.startsWith("code")).reduce((n, s) => n + s.space_used_size, 0);
  return `heap ${mib(m.heapUsed)}/${mib(m.heapTotal)} (code ${mib(code)}), array buffers ${mib(m.arrayBuffers)}, other external ${mib(m.external - m.arrayBuffers)} MiB`;
}
const readBytes = (p: string) => new Uint8Array(readFileSync(p));

async function bootHypertab(spec: BootRunSpec): Promise<BootRunResult> {
  const config: MachineConfig = {
    memoryMiB: spec.memoryMiB,
    bios: readBytes(spec.bios),
    vgaBios: readBytes(spec.vgaBios),
    boot: { kind: "linux", kernel: readBytes(spec.kernel), initrd: readBytes(spec.initrd), cmdline: spec.cmdline },
    cards: [{ type: "serial", index: 0 }, { type: "vga" }, { type: "ps2" }, { type: "debug-exit" }],
  };
  let overheadAtPrompt: number | null = null;
  let memoryAtPrompt = "";
  let watch: SerialWatch | null = null;
  const t0 = performance.now();
  let timedOut: string | null = null;
  let running: Machine | null = null;
  const outcome = await runMachine({
    config,
    onStart: (machine, control) => {
      running = machine;
      const w = new SerialWatch(spec, t0, (s) => control.input(s), () => control.stop("done"));
      w.instructions = () => machine.stats().instructions;
      watch = w;
      watchTimeouts(spec, w, (why) => {
        timedOut = why;
        control.stop(why);
      });
    },
    onSerial: (b) => {
      watch!.byte(b);
      if (watch!.promptAt !== null && overheadAtPrompt === null) {
        overheadAtPrompt = overhead(spec.memoryMiB);
        memoryAtPrompt = memoryBreakdown();
      }
    },
  });
  const w = watch ?? new SerialWatch(spec, t0, () => {}, () => {});
  const error = timedOut ?? (outcome.end === "stopped" ? null : outcome.message);
  const result = w.result("hypertab", error, overheadAtPrompt ?? overhead(spec.memoryMiB), memoryAtPrompt || memoryBreakdown());
  // After the memory figure: the snapshot's copies would count in it.
  if (result.ok && running) result.snapshot = await measureSnapshot(running, config);
  return result;
}

async function bootV86(spec: BootRunSpec): Promise<BootRunResult> {
  const root = resolve(import.meta.dirname, "..");
  const { V86 } = (await import("v86")) as unknown as { V86: new (o: Record<string, unknown>) => V86Instance };
  const buf = (p: string) => {
    const b = readFileSync(p);
    return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) };
  };
  const t0 = performance.now();
  const emulator = new V86({
    wasm_path: resolve(root, "node_modules/v86/build/v86.wasm"),
    bios: buf(spec.bios),
    vga_bios: buf(spec.vgaBios),
    bzimage: buf(spec.kernel),
    initrd: buf(spec.initrd),
    cmdline: spec.cmdline,
    memory_size: spec.memoryMiB * MiB,
    vga_memory_size: 8 * MiB,
    autostart: true,
    disable_speaker: true,
    disable_keyboard: true,
    disable_mouse: true,
  });
  let overheadAtPrompt: number | null = null;
  let memoryAtPrompt = "";
  let settle: (error: string | null) => void = () => {};
  const finished = new Promise<string | null>((r) => (settle = r));
  const watch = new SerialWatch(spec, t0, (s) => emulator.serial0_send(s), () => settle(null));
  // v86's counter is 32 bits: accumulate its deltas often enough that it cannot wrap unseen.
  let counted = 0;
  let lastRaw = emulator.get_instruction_counter();
  const accumulate = () => {
    const raw = emulator.get_instruction_counter();
    counted += (raw - lastRaw) >>> 0;
    lastRaw = raw;
    return counted;
  };
  const sampler = setInterval(accumulate, 100);
  watch.instructions = accumulate;
  emulator.add_listener("serial0-output-byte", (b: number) => {
    watch.byte(b);
    if (watch.promptAt !== null && overheadAtPrompt === null) {
      overheadAtPrompt = overhead(spec.memoryMiB);
      memoryAtPrompt = memoryBreakdown();
    }
  });
  watchTimeouts(spec, watch, (why) => settle(why));
  const error = await finished;
  clearInterval(sampler);
  const result = watch.result("v86", error, overheadAtPrompt ?? overhead(spec.memoryMiB), memoryAtPrompt || memoryBreakdown());
  if (result.ok) {
    const t = performance.now();
    const state = await emulator.save_state();
    result.v86SaveState = { ms: performance.now() - t, bytes: state.byteLength };
  }
  await emulator.destroy().catch(() => {});
  return result;
}

interface V86Instance {
  add_listener(event: string, listener: (value: number) => void): void;
  serial0_send(data: string): void;
  get_instruction_counter(): number;
  save_state(): Promise<ArrayBuffer>;
  destroy(): Promise<void>;
}

export async function bootOnce(spec: BootRunSpec): Promise<BootRunResult> {
  return spec.engine === "v86" ? bootV86(spec) : bootHypertab(spec);
}

// As a child process: spec as JSON in argv[2], result as one JSON line prefixed "RESULT ". Real
// paths: the bundle's folder (.cache) may be a symbolic link.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(import.meta.filename)) {
  const spec = JSON.parse(process.argv[2] ?? "{}") as BootRunSpec;
  let result: BootRunResult;
  try {
    result = await bootOnce(spec);
  } catch (e) {
    const err = e as Error;
    const error = err.name === "EmulatorNotReadyError" ? `Hypertab cannot boot yet: ${err.message}` : `${err.name}: ${err.message}`;
    result = failedBootRun(spec.engine, error, {
      overheadMiB: overhead(spec.memoryMiB),
      rssMiB: Math.round((process.memoryUsage().rss / MiB) * 10) / 10,
      memory: memoryBreakdown(),
    });
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
