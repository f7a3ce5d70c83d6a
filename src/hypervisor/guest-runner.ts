// The body of a guest worker: hosts one Machine on the calling thread and runs it in slices until
// told to stop. Time follows the wall clock (the machine's virtual clock); the thread sleeps with
// Atomics.wait on the control block's doorbell while the guest is halted, paused, out of its CPU
// time slice or held by a full serial ring. It measures its own CPU time (the time it is not
// waiting: in a worker, the thread's time while it runs) against the slice the scheduler set.
// It publishes counters into the stats block, the screen into the framebuffer and text blocks,
// and reports crashes with their reason instead of dying.
// No per-instruction work here: everything is per slice (a few milliseconds of guest time).

import type { Machine, SerialPort } from "../emulator/machine-api.ts";
import type { MachineConfig } from "../emulator/machine-config.ts";
import { keyCodeAt } from "./key-codes.ts";
import { PageBeatReader, epochMs } from "./page-beat.ts";
import { SpscByteRing, SpscRecordRing } from "./spsc-ring.ts";
import {
  Ctl,
  Fb,
  GuestState,
  RunRequest,
  St,
  Txt,
  KEY_RECORD_INTS,
  MOUSE_RECORD_INTS,
  framebufferViews,
  type FramebufferViews,
} from "./shared-layout.ts";
import { captureMachine } from "./snapshot/index.ts";
import { writableDisks, type WritableDisk } from "./writable-disks.ts";
import { MAX_DISK_WRITE_CHUNKS, fitReason, type GuestMessage, type GuestRunnerSpec } from "./wire/guest-messages.ts";

const FRAME_INTERVAL_MS = 33;
const TEXT_INTERVAL_MS = 200;
const STATS_INTERVAL_MS = 50;
const MAX_OVERFLOW_BYTES = 4 * 1024 * 1024;
const MAX_KEYS_PER_ITERATION = 4; // a PS/2 controller buffers only a few bytes
const MAX_HALT_SLEEP_MS = 10;
/** VMs with a time slice run it in this many pieces, each due at its share of the first
 *  PACED_FRACTION of the period (the rest is slack, so a late wake-up does not miss the slice). */
const PACING_STEPS = 8;
const PACED_FRACTION = 0.85;
const MIN_PACED_SLICE = 2_000;
/** Slices aim at this much execution time, so control, input and the time slice are looked at often. */
const SLICE_TARGET_MS = 4;
const MIN_SLICE_INSTRUCTIONS = 100;
const MIN_PACING_SLEEP_MS = 0.5;
/** Longest single wait for a late page's next heartbeat before looking at control again. */
const PAGE_YIELD_WAIT_MS = 4;
/** Disk overlay chunks the guest wrote are reported this often (and at stop). */
const DISK_REPORT_INTERVAL_MS = 2000;

export class GuestRunner {
  private readonly ctl: Int32Array;
  private readonly st: Float64Array;
  private readonly serialOut: SpscByteRing;
  private readonly serialIn: SpscByteRing;
  private readonly keyboard: SpscRecordRing;
  private readonly mouse: SpscRecordRing;
  private readonly mouseRecord = new Int32Array(MOUSE_RECORD_INTS);
  private readonly fb: FramebufferViews;
  private readonly textHeader: Int32Array;
  private readonly textChars: Uint16Array;
  private machine: Machine | null = null;
  private serial: SerialPort | null = null;
  /** Bytes the guest sent while the out-ring was full (only without UART flow control). */
  private overflow: number[] = [];
  private holding = false;
  private readonly keyRecord = new Int32Array(KEY_RECORD_INTS);
  private scratch: Uint8ClampedArray | undefined = undefined;
  private lastText = "";
  private lastVgaGeneration = -1;
  private sliceInstructions = 20_000;
  // period accounting (CPU time slice)
  private periodStart = 0;
  private haltedThisPeriod = false;
  /** This thread's CPU time: all of its time but its waits (Atomics.wait). */
  private cpuMs = 0;
  private periodCpuMs = 0;
  /** Time spent in waits since the loop last accounted (see account()). */
  private waitedMs = 0;
  private haltedMs = 0;
  private runMs = 0;
  private readonly pageBeat: PageBeatReader | null;
  private pageYieldMs = 0;
  /** Slice time carried from the last period: what a VM that did not halt left unused (it
   *  stepped aside for the page, a late wake-up, or the host did not run it) is added, at most one
   *  slice, so the shares hold; what it
   *  ran over (a step that ran long, the thread descheduled inside it) is taken off, at most a
   *  period's worth, so shares and caps hold on average. */
  private carryMs = 0;
  private disks: WritableDisk[] = [];
  /** Disks whose next report starts their whole overlay (after a restore from saved state). */
  private readonly replaceNext = new Set<string>();

  constructor(
    private readonly spec: GuestRunnerSpec,
    private readonly create: (config: MachineConfig) => Machine,
    private readonly post: (message: GuestMessage, transfer?: Transferable[]) => void,
    private readonly clock: () => number = () => performance.now(),
  ) {
    const ch = spec.channels;
    this.ctl = new Int32Array(ch.control);
    this.st = new Float64Array(ch.stats);
    this.serialOut = SpscByteRing.attach(ch.serialOut);
    this.serialIn = SpscByteRing.attach(ch.serialIn);
    this.keyboard = SpscRecordRing.attach(ch.keyboard);
    this.mouse = SpscRecordRing.attach(ch.mouse);
    this.fb = framebufferViews(ch.framebuffer);
    this.textHeader = new Int32Array(ch.text, 0, Txt.HEADER_INTS);
    this.textChars = new Uint16Array(ch.text, Txt.HEADER_INTS * 4, Txt.MAX_COLS * Txt.MAX_ROWS);
    this.pageBeat = spec.pageBeat ? new PageBeatReader(spec.pageBeat) : null;
  }

  /** Runs until stopped, powered off or crashed. Never throws. */
  run(): void {
    this.st[St.STATE] = GuestState.STARTING;
    this.heartbeat();
    // Building the machine is one long stretch of work: not while the page is in a long task
    // (it is usually building this VM's panel right now).
    this.pageBeat?.waitUntilCalm(this.clock);
    try {
      this.machine = this.create(this.spec.machine);
    } catch (e) {
      this.crash(e);
      return;
    }
    try {
      this.prepareState(this.machine);
    } catch (e) {
      this.crash(new Error(`could not restore the saved state: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    try {
      this.wireSerial(this.machine);
      // Resets the guest causes itself (triple fault, reboot) go to the hypervisor's event log.
      this.machine.onReset?.((reason) => {
        this.st[St.RESETS]++;
        this.post({ type: "reset", reason });
      });
      this.post({ type: "started" });
      this.loop(this.machine);
    } catch (e) {
      this.crash(e);
    }
  }

  /** Loads the saved state (a restore) or the disks' persisted overlays (a fresh boot). */
  private prepareState(machine: Machine): void {
    if (this.spec.state) machine.loadState(this.spec.state);
    this.disks = writableDisks(machine);
    if (this.spec.state) {
      // The restored overlays are now each disk's whole overlay: report them as such.
      for (const d of this.disks) this.replaceNext.add(d.name);
      return;
    }
    for (const o of this.spec.diskOverlays ?? []) {
      const disk = this.disks.find((d) => d.name === o.disk);
      if (!disk) throw new Error(`the stored overlay of disk ${o.disk} has no disk in this machine`);
      const problem = disk.store.overlayProblem(o);
      if (problem) throw new Error(`disk ${o.disk}: ${problem}`);
      disk.store.loadOverlay(o);
      disk.store.takeDirty(Infinity); // already stored
    }
  }

  /** Posts overlay chunks the guest wrote: at most one message per disk, or all of them. */
  private reportDisks(all: boolean): void {
    for (const d of this.disks) {
      let replace = this.replaceNext.delete(d.name);
      while (replace || d.store.hasDirty) {
        const overlay = d.store.takeDirty(MAX_DISK_WRITE_CHUNKS);
        this.post({ type: "disk-writes", overlay: { disk: d.name, ...overlay }, replace }, [overlay.data.buffer as ArrayBuffer, overlay.chunks.buffer as ArrayBuffer]);
        replace = false;
        if (!all) break;
      }
    }
  }

  /** Copies the machine's state for a snapshot and posts it (the copy's buffers move with it). */
  private capture(machine: Machine, seq: number): void {
    let capture;
    try {
      capture = captureMachine(machine, this.spec.machine);
    } catch (e) {
      this.post({ type: "capture-failed", seq, reason: fitReason(e instanceof Error ? e.message : String(e)) });
      return;
    }
    this.post({ type: "captured", seq, state: capture.state }, ownedBuffers(capture.state));
  }

  private heartbeat(): void {
    this.st[St.HEARTBEAT] = this.clock();
  }

  private crash(e: unknown): void {
    this.st[St.STATE] = GuestState.CRASHED;
    let reason = e instanceof Error ? `${e.name}: ${e.message}` : `non-error thrown: ${String(e)}`;
    if (e instanceof Error && e.stack) {
      const frame = e.stack.split("\n").find((l) => /^\s+at /.test(l));
      if (frame) reason += ` (${frame.trim()})`;
    }
    this.post({ type: "crashed", reason: fitReason(reason) });
  }

  private wireSerial(machine: Machine): void {
    const port = machine.serial[0];
    if (!port) return;
    this.serial = port;
    port.onTransmit((byte) => {
      this.st[St.SERIAL_OUT]++;
      if (this.overflow.length === 0 && this.serialOut.writeByte(byte)) {
        if (this.serialOut.free() === 0) this.setHold(true);
        return;
      }
      if (this.overflow.length >= MAX_OVERFLOW_BYTES) throw new Error(`serial output overflow: the guest sent ${MAX_OVERFLOW_BYTES} bytes nobody read`);
      this.overflow.push(byte);
      this.setHold(true);
    });
  }

  private setHold(hold: boolean): void {
    if (hold === this.holding) return;
    this.holding = hold;
    this.serial?.setTransmitHold?.(hold);
  }

  /** Moves held-back serial bytes into the ring; true when nothing is left over. */
  private drainSerial(): boolean {
    if (this.overflow.length > 0) {
      let i = 0;
      while (i < this.overflow.length && this.serialOut.writeByte(this.overflow[i])) i++;
      if (i > 0) this.overflow.splice(0, i);
    }
    if (this.holding && this.overflow.length === 0 && this.serialOut.free() > 0) this.setHold(false);
    return this.overflow.length === 0;
  }

  private pumpInput(machine: Machine): void {
    const port = this.serial;
    if (port) {
      let b: number;
      while ((b = this.serialIn.peek()) >= 0 && port.receive(b)) {
        this.serialIn.consume();
        this.st[St.SERIAL_IN]++;
      }
    }
    const mouse = machine.mouse ?? null;
    for (let n = 0; n < MAX_KEYS_PER_ITERATION && this.mouse.pop(this.mouseRecord); n++) {
      const r = this.mouseRecord;
      if (mouse) {
        mouse.move(r[0], r[1], r[2], r[3]);
        this.st[St.MOUSE_EVENTS]++;
      }
    }
    const kbd = machine.keyboard;
    for (let n = 0; n < MAX_KEYS_PER_ITERATION && this.keyboard.pop(this.keyRecord); n++) {
      const code = keyCodeAt(this.keyRecord[0]);
      if (code && kbd) {
        kbd.key(code, this.keyRecord[1] !== 0);
        this.st[St.KEY_EVENTS]++;
      }
    }
  }

  /** Sleeps until the doorbell rings (input, command, slice change) or `ms` pass. */
  private sleep(doorbell: number, ms: number): void {
    if (!(ms > 0)) return;
    const w0 = this.clock();
    Atomics.wait(this.ctl, Ctl.DOORBELL, doorbell, ms);
    this.waitedMs += this.clock() - w0;
  }

  /** Adds the time since the last call, less the waits in it, to this thread's CPU time. */
  private account(now: number, last: number, running: boolean): void {
    const awake = Math.max(0, now - last - this.waitedMs);
    this.waitedMs = 0;
    if (!running) return;
    this.cpuMs += awake;
    this.periodCpuMs += awake;
  }

  /** This period's slice in ms (Infinity = unlimited): the scheduler's, plus what was carried. */
  private sliceMs(): number {
    const ms = Atomics.load(this.ctl, Ctl.BUDGET) / 1000;
    return ms > 0 ? Math.max(0, ms + this.carryMs) : Infinity;
  }

  private endPeriod(now: number, periodMs: number): void {
    const sliceMs = this.sliceMs();
    const scheduledMs = Atomics.load(this.ctl, Ctl.BUDGET) / 1000;
    const limited = Number.isFinite(sliceMs);
    this.st[St.PERIODS]++;
    // Idle: the guest halted (waited for an interrupt). Exhausted: it used its slice (it would
    // have used more). Missed: it had a slice, did not halt and did not use it: the host did not
    // run it, or it stepped aside for a busy page.
    const exhausted = limited && this.periodCpuMs >= sliceMs * 0.9;
    if (this.haltedThisPeriod) this.st[St.PERIODS_IDLE]++;
    if (exhausted) this.st[St.PERIODS_EXHAUSTED]++;
    const missed = limited && !exhausted && !this.haltedThisPeriod;
    if (missed) this.st[St.PERIODS_MISSED]++;
    // A halted guest did not want the rest of its slice: only what it ran over carries.
    const balance = this.haltedThisPeriod ? Math.min(0, sliceMs - this.periodCpuMs) : sliceMs - this.periodCpuMs;
    this.carryMs = limited ? Math.max(-periodMs, Math.min(scheduledMs, balance)) : 0;
    this.haltedThisPeriod = false;
    this.periodCpuMs = 0;
    // Stay on the period grid unless we fell far behind (e.g. after a pause).
    this.periodStart = now - this.periodStart > 2 * periodMs ? now : this.periodStart + periodMs;
  }

  private loop(machine: Machine): void {
    // The control block is fresh for every launch: requests made before the loop started count.
    let crashSeen = 0;
    let resetSeen = 0;
    let captureSeen = 0;
    let lastDiskReport = this.clock();
    let paused = false;
    let lastStats = -Infinity;
    let lastFrame = -Infinity;
    let lastText = -Infinity;
    let lastLoop = this.clock();
    this.periodStart = lastLoop;
    for (;;) {
      const doorbell = Atomics.load(this.ctl, Ctl.DOORBELL);
      const now = this.clock();
      if (!paused) this.runMs += now - lastLoop;
      this.account(now, lastLoop, !paused);
      lastLoop = now;
      this.st[St.HEARTBEAT] = now;
      const request = Atomics.load(this.ctl, Ctl.RUN);
      if (request === RunRequest.STOP) {
        this.st[St.STATE] = GuestState.STOPPED;
        this.publishStats(machine);
        this.reportDisks(true);
        this.post({ type: "stopped" });
        return;
      }
      const captureSeq = Atomics.load(this.ctl, Ctl.CAPTURE_SEQ);
      if (captureSeq !== captureSeen) {
        captureSeen = captureSeq;
        this.publishStats(machine);
        this.capture(machine, captureSeq);
      }
      if (now - lastDiskReport >= DISK_REPORT_INTERVAL_MS) {
        lastDiskReport = now;
        this.reportDisks(false);
      }
      if (Atomics.load(this.ctl, Ctl.CRASH_SEQ) !== crashSeen) {
        crashSeen = Atomics.load(this.ctl, Ctl.CRASH_SEQ);
        throw new Error("simulated emulator exception (test hook)");
      }
      if (Atomics.load(this.ctl, Ctl.RESET_SEQ) !== resetSeen) {
        resetSeen = Atomics.load(this.ctl, Ctl.RESET_SEQ);
        machine.reset();
        this.st[St.RESETS]++;
        this.post({ type: "reset", reason: "reset requested by the hypervisor" });
      }
      if (request === RunRequest.PAUSE) {
        if (!paused) {
          machine.pause();
          paused = true;
          this.st[St.STATE] = GuestState.PAUSED;
          this.publishStats(machine);
        }
        this.sleep(doorbell, 250);
        continue;
      }
      if (paused) {
        machine.resume();
        paused = false;
        this.periodStart = now;
        this.periodCpuMs = 0;
        this.carryMs = 0;
      }
      this.pumpInput(machine);
      if (!this.drainSerial() || this.holding) {
        // Nobody is reading the serial console fast enough: the guest waits, like a UART held by
        // CTS. Running it on would only pile output up in the UART's bounded backlog (a guest that
        // stops waiting for THRE, as Linux's console does after 10 ms, writes anyway) until bytes
        // are dropped. The wait counts as idle time, not as a missed time slice.
        this.haltedThisPeriod = true;
        const w0 = this.clock();
        this.serialOut.waitForSpace(10);
        this.waitedMs += this.clock() - w0;
        continue;
      }
      const periodMs = Math.max(5, Atomics.load(this.ctl, Ctl.PERIOD_MS) || this.spec.periodMs);
      if (now - this.periodStart >= periodMs) this.endPeriod(now, periodMs);
      // The CPU time slice per period (see cpu-scheduler.ts).
      const sliceMs = this.sliceMs();
      if (this.periodCpuMs >= sliceMs) {
        this.sleep(doorbell, this.periodStart + periodMs - now);
        continue;
      }
      if (this.pageBeat?.late(epochMs())) {
        // The page's main thread is in a long task or waiting for a core: leave it ours.
        const y0 = this.clock();
        this.pageBeat.waitForBeat(PAGE_YIELD_WAIT_MS);
        const y = this.clock() - y0;
        this.pageYieldMs += y;
        this.waitedMs += y;
        continue;
      }
      let max = this.sliceInstructions;
      // Slices end on time too: in a phase where instructions are far slower than the estimate
      // (memtest86+ unpacking itself: seconds for a few million), the loop still looks at control
      // and beats its heartbeat every few milliseconds.
      let maxWallMs = SLICE_TARGET_MS * 2;
      if (Number.isFinite(sliceMs)) {
        // Spread the slice over the period instead of spending it all at the period's start:
        // VMs with slices then rarely all run at once, and the page's main thread finds a core.
        const due = this.periodStart + PACED_FRACTION * periodMs * (this.periodCpuMs / sliceMs);
        if (due - now >= MIN_PACING_SLEEP_MS) {
          this.sleep(doorbell, due - now);
          continue;
        }
        // One pacing step: an eighth of the slice, in instructions at the measured slice speed.
        const stepMs = Math.min(sliceMs - this.periodCpuMs, sliceMs / PACING_STEPS);
        max = Math.max(MIN_PACED_SLICE, Math.min(max, Math.round((this.sliceInstructions / SLICE_TARGET_MS) * stepMs)));
        maxWallMs = Math.max(MIN_PACING_SLEEP_MS, stepMs);
      }
      const t0 = this.clock();
      const result = machine.runSlice({ maxInstructions: max, maxWallMs });
      const t1 = this.clock();
      const dt = t1 - t0;
      if (result.executed > 0 && dt > 0.05) {
        // Aim for ~4 ms slices so control, input and the time slice are looked at often. A slice
        // that ran long sets the size at once: some guest phases run instructions a thousand
        // times slower (memtest86+ unpacking itself: REP string copies through the exact path),
        // and a few slices halving towards it would hold the thread for many seconds.
        const target = (result.executed / dt) * SLICE_TARGET_MS;
        const next = dt > 2 * SLICE_TARGET_MS ? target : this.sliceInstructions * 0.5 + target * 0.5;
        this.sliceInstructions = Math.max(MIN_SLICE_INSTRUCTIONS, Math.min(4_000_000, Math.round(next)));
      }
      if (result.reason === "powered-off") {
        this.st[St.STATE] = GuestState.POWERED_OFF;
        this.publishStats(machine);
        this.renderFrame(machine);
        this.publishText(machine);
        this.reportDisks(true);
        this.post({ type: "powered-off", reason: machine.stopReason || "the guest powered off" });
        return;
      }
      if (result.reason === "crashed") {
        this.st[St.STATE] = GuestState.CRASHED;
        this.publishStats(machine);
        this.renderFrame(machine);
        this.publishText(machine);
        this.post({ type: "crashed", reason: machine.stopReason || "the emulator stopped the machine" });
        return;
      }
      if (t1 - lastStats >= STATS_INTERVAL_MS) {
        lastStats = t1;
        this.publishStats(machine);
      }
      if (t1 - lastFrame >= FRAME_INTERVAL_MS) {
        lastFrame = t1;
        this.renderFrame(machine);
      }
      if (t1 - lastText >= TEXT_INTERVAL_MS) {
        lastText = t1;
        this.publishText(machine);
      }
      if (result.reason === "halted") {
        this.haltedThisPeriod = true;
        this.st[St.STATE] = GuestState.HALTED;
        const untilDeadline = (result.nextDeadlineNs - machine.stats().uptimeNs) / 1e6;
        const untilPeriod = this.periodStart + periodMs - t1;
        const ms = Math.min(MAX_HALT_SLEEP_MS, untilPeriod, Number.isFinite(untilDeadline) ? untilDeadline : MAX_HALT_SLEEP_MS);
        if (ms >= 0.5) {
          const h0 = this.clock();
          this.sleep(doorbell, ms);
          this.haltedMs += this.clock() - h0;
        }
      } else this.st[St.STATE] = GuestState.RUNNING;
    }
  }

  private publishStats(machine: Machine): void {
    const s = machine.stats();
    const st = this.st;
    st[St.INSTRUCTIONS] = s.instructions;
    st[St.INTERRUPTS] = s.interrupts;
    st[St.IO_READS] = s.io.reads;
    st[St.IO_WRITES] = s.io.writes;
    st[St.IO_UNCLAIMED] = s.io.unclaimedReads + s.io.unclaimedWrites;
    st[St.UPTIME_NS] = s.uptimeNs;
    st[St.CPU_MS] = this.cpuMs;
    st[St.RUN_MS] = this.runMs;
    st[St.HALTED_MS] = this.haltedMs;
    st[St.PAGE_YIELD_MS] = this.pageYieldMs;
  }

  /** Copies the rows that changed since the last frame into the shared framebuffer and stamps them
   *  with a new generation, so the page redraws only those (coalescing whatever it missed). */
  private renderFrame(machine: Machine): void {
    const vga = machine.vga;
    if (!vga) return;
    let r: { width: number; height: number; pixels: Uint8ClampedArray };
    try {
      r = vga.render(this.scratch);
    } catch {
      r = vga.render(); // the screen size changed under a reused buffer
    }
    this.scratch = r.pixels;
    const fb = this.fb;
    const width = Math.min(r.width | 0, Fb.MAX_WIDTH);
    const height = Math.min(r.height | 0, Fb.MAX_HEIGHT);
    if (width <= 0 || height <= 0 || r.pixels.length < r.width * r.height * 4) return;
    const resized = Atomics.load(fb.header, Fb.WIDTH) !== width || Atomics.load(fb.header, Fb.HEIGHT) !== height;
    const gen = Atomics.load(fb.header, Fb.GEN) + 1;
    const srcStride = r.width | 0;
    const aligned = (r.pixels.byteOffset & 3) === 0;
    const src32 = aligned ? new Int32Array(r.pixels.buffer, r.pixels.byteOffset, srcStride * (r.height | 0)) : null;
    const dst32 = fb.pixels32;
    let changed = false;
    // When the VGA says what changed, look only there (it renders every frame anyway).
    let first = 0;
    let last = height;
    if (!resized && vga.generation !== undefined) {
      if (vga.generation === this.lastVgaGeneration) return;
      this.lastVgaGeneration = vga.generation;
      if (vga.lastDirty) {
        first = Math.max(0, vga.lastDirty.top | 0);
        last = Math.min(height, vga.lastDirty.bottom | 0);
      }
    } else if (vga.generation !== undefined) this.lastVgaGeneration = vga.generation;
    if (resized) {
      Atomics.store(fb.header, Fb.WIDTH, width);
      Atomics.store(fb.header, Fb.HEIGHT, height);
      Atomics.store(fb.header, Fb.MODE, vga.mode().kind === "text" ? 1 : 2);
    }
    for (let y = first; y < last; y++) {
      const s = y * srcStride;
      const d = y * width;
      let rowChanged = resized;
      if (!rowChanged) {
        if (src32) {
          for (let x = 0; x < width; x++) if (src32[s + x] !== dst32[d + x]) { rowChanged = true; break; }
        } else {
          for (let x = 0; x < width * 4; x++) if (r.pixels[s * 4 + x] !== fb.pixels[d * 4 + x]) { rowChanged = true; break; }
        }
      }
      if (!rowChanged) continue;
      if (src32) dst32.set(src32.subarray(s, s + width), d);
      else fb.pixels.set(r.pixels.subarray(s * 4, (s + width) * 4), d * 4);
      Atomics.store(fb.rowGen, y, gen);
      changed = true;
    }
    if (changed) {
      Atomics.store(fb.header, Fb.GEN, gen);
      this.st[St.FRAMES]++;
    }
  }

  private publishText(machine: Machine): void {
    const vga = machine.vga;
    if (!vga) return;
    const mode = vga.mode();
    const lines = mode.kind === "text" ? vga.textLines() : [];
    const joined = lines.join("\n");
    if (joined === this.lastText) return;
    this.lastText = joined;
    const rows = Math.min(lines.length, Txt.MAX_ROWS);
    const cols = Math.min(Math.max(0, ...lines.map((l) => l.length)), Txt.MAX_COLS);
    this.textChars.fill(0x20, 0, rows * cols);
    for (let y = 0; y < rows; y++) {
      const line = lines[y];
      const n = Math.min(line.length, cols);
      for (let x = 0; x < n; x++) this.textChars[y * cols + x] = line.charCodeAt(x);
    }
    Atomics.store(this.textHeader, Txt.COLS, cols);
    Atomics.store(this.textHeader, Txt.ROWS, rows);
    Atomics.add(this.textHeader, Txt.GEN, 1);
  }
}

/** The ArrayBuffers a captured state owns outright (not shared, not a view into a larger buffer):
 *  they are transferred with the message instead of copied. */
function ownedBuffers(state: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 64 || typeof value !== "object" || value === null) return;
    if (ArrayBuffer.isView(value)) {
      const b = value.buffer;
      if (b instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === b.byteLength && b.byteLength >= 4096) out.add(b);
      return;
    }
    for (const v of Object.values(value)) walk(v, depth + 1);
  };
  walk(state, 0);
  return [...out];
}
