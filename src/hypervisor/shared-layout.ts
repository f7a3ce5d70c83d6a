// The shared-memory blocks between the hypervisor, a guest worker and the page: a control block
// (hypervisor/page → guest), a stats block (guest → everyone), the device rings, the framebuffer
// and the text screen. Each word has exactly one writer.

import { SpscByteRing, SpscRecordRing } from "./spsc-ring.ts";

/** Control block (Int32Array). Writers: hypervisor, except DOORBELL which anyone may bump. */
export const Ctl = {
  /** Bumped + notified whenever anything changed (input arrived, command written). */
  DOORBELL: 0,
  /** Requested run state: see RunRequest. */
  RUN: 1,
  /** The VM's CPU time slice: microseconds of its worker's CPU time per period; 0 = unlimited. */
  BUDGET: 2,
  PERIOD_MS: 3,
  /** Bumped to request a guest reset. */
  RESET_SEQ: 4,
  /** Test hook: bumped to make the guest worker throw (simulated emulator crash). */
  CRASH_SEQ: 5,
  /** Bumped to ask for a copy of the machine's state (the worker answers "captured" with it). */
  CAPTURE_SEQ: 6,
  SIZE: 8,
} as const;

export const RunRequest = { PAUSE: 0, RUN: 1, STOP: 2 } as const;

/** Stats block (Float64Array). Writer: the guest worker. */
export const St = {
  STATE: 0,
  INSTRUCTIONS: 1,
  INTERRUPTS: 2,
  IO_READS: 3,
  IO_WRITES: 4,
  IO_UNCLAIMED: 5,
  UPTIME_NS: 6,
  /** Ms of the guest worker's own CPU time: its running time except waits (Atomics.wait). */
  CPU_MS: 7,
  /** Wall ms since the worker started running the machine (excluding paused time). */
  RUN_MS: 8,
  PERIODS: 9,
  /** Periods that ended with slice left over although the guest never halted (the host did not
   *  run it, or it stepped aside for the page). */
  PERIODS_MISSED: 10,
  /** Periods in which the guest halted. */
  PERIODS_IDLE: 11,
  /** Periods in which the VM used up its slice. */
  PERIODS_EXHAUSTED: 12,
  SERIAL_OUT: 13,
  SERIAL_IN: 14,
  KEY_EVENTS: 15,
  MOUSE_EVENTS: 20,
  FRAMES: 16,
  RESETS: 17,
  /** Wall ms (performance.timeOrigin + now) of the last loop iteration: liveness. */
  HEARTBEAT: 18,
  HALTED_MS: 19,
  /** Wall ms spent stepping aside for a late page (page-beat.ts). */
  PAGE_YIELD_MS: 21,
  SIZE: 24,
} as const;

/** Guest states as published in St.STATE. */
export const GuestState = { STARTING: 0, RUNNING: 1, HALTED: 2, PAUSED: 3, POWERED_OFF: 4, CRASHED: 5, STOPPED: 6 } as const;
export const guestStateNames = ["starting", "running", "halted", "paused", "powered-off", "crashed", "stopped"] as const;

/** Framebuffer block: Int32 header, per-row generation stamps, then RGBA pixels. */
export const Fb = {
  GEN: 0,
  WIDTH: 1,
  HEIGHT: 2,
  /** 0 = nothing yet, 1 = text, 2 = graphics */
  MODE: 3,
  HEADER_INTS: 8,
  MAX_WIDTH: 1280,
  MAX_HEIGHT: 1024,
} as const;

export function framebufferBytes(): number {
  return Fb.HEADER_INTS * 4 + Fb.MAX_HEIGHT * 4 + Fb.MAX_WIDTH * Fb.MAX_HEIGHT * 4;
}

export interface FramebufferViews {
  header: Int32Array;
  rowGen: Int32Array;
  pixels: Uint8ClampedArray;
  pixels32: Int32Array;
}

export function framebufferViews(buffer: SharedArrayBuffer): FramebufferViews {
  if (buffer.byteLength !== framebufferBytes()) throw new RangeError(`framebuffer: buffer is ${buffer.byteLength} bytes, expected ${framebufferBytes()}`);
  const rowsOffset = Fb.HEADER_INTS * 4;
  const pixelsOffset = rowsOffset + Fb.MAX_HEIGHT * 4;
  return {
    header: new Int32Array(buffer, 0, Fb.HEADER_INTS),
    rowGen: new Int32Array(buffer, rowsOffset, Fb.MAX_HEIGHT),
    pixels: new Uint8ClampedArray(buffer, pixelsOffset, Fb.MAX_WIDTH * Fb.MAX_HEIGHT * 4),
    pixels32: new Int32Array(buffer, pixelsOffset, Fb.MAX_WIDTH * Fb.MAX_HEIGHT),
  };
}

/** Text screen block: Int32 header [GEN, COLS, ROWS], then UTF-16 code units, row-major. */
export const Txt = { GEN: 0, COLS: 1, ROWS: 2, HEADER_INTS: 4, MAX_COLS: 160, MAX_ROWS: 64 } as const;

export function textScreenBytes(): number {
  return Txt.HEADER_INTS * 4 + Txt.MAX_COLS * Txt.MAX_ROWS * 2;
}

export function readTextScreen(buffer: SharedArrayBuffer): string[] {
  const header = new Int32Array(buffer, 0, Txt.HEADER_INTS);
  const cols = Math.min(Atomics.load(header, Txt.COLS), Txt.MAX_COLS);
  const rows = Math.min(Atomics.load(header, Txt.ROWS), Txt.MAX_ROWS);
  const chars = new Uint16Array(buffer, Txt.HEADER_INTS * 4, Txt.MAX_COLS * Txt.MAX_ROWS);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) lines.push(String.fromCharCode(...chars.subarray(r * cols, r * cols + cols)).trimEnd());
  return lines;
}

/** Keyboard ring records: [keyIndex (key-codes.ts), down 0/1]. Mouse: [dx, dy, dz, buttons]
 *  (screen convention: dy down, dz wheel towards the user; buttons 1 left, 2 right, 4 middle). */
export const KEY_RECORD_INTS = 2;
export const MOUSE_RECORD_INTS = 4;

/** Everything a guest worker and the page share for one VM. */
export interface VmChannels {
  control: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  serialOut: SharedArrayBuffer;
  serialIn: SharedArrayBuffer;
  keyboard: SharedArrayBuffer;
  mouse: SharedArrayBuffer;
  framebuffer: SharedArrayBuffer;
  text: SharedArrayBuffer;
}

export function createVmChannels(): VmChannels {
  return {
    control: new SharedArrayBuffer(Ctl.SIZE * 4),
    stats: new SharedArrayBuffer(St.SIZE * 8),
    serialOut: SpscByteRing.create(64 * 1024).buffer,
    serialIn: SpscByteRing.create(4 * 1024).buffer,
    keyboard: SpscRecordRing.create(256, KEY_RECORD_INTS).buffer,
    mouse: SpscRecordRing.create(256, MOUSE_RECORD_INTS).buffer,
    framebuffer: new SharedArrayBuffer(framebufferBytes()),
    text: new SharedArrayBuffer(textScreenBytes()),
  };
}

/** Wakes the guest worker (it sleeps on the control block's doorbell). */
export function ringGuestDoorbell(control: Int32Array): void {
  Atomics.add(control, Ctl.DOORBELL, 1);
  Atomics.notify(control, Ctl.DOORBELL);
}
