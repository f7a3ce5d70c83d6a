// A learning Ethernet switch (one "network"): ports attach and detach at any time; each port's
// frames wait in its bounded ingress queue until pump() forwards them, round-robin one frame per
// port at a time, so a port that sends a storm gets its turn like the others and loses its own
// frames when its queue is full. Known unicast goes to the port its destination was learned on;
// broadcast, multicast and unknown unicast are flooded to every other port, at most
// `floodQuantum` of them per port per pump (storm control, as real switches limit broadcast rates).
// Delivery to a port's device cannot wait: a device that refuses (its receive ring is full) loses
// the frame, and the port counts it.

import { frameProblem, isGroupAddress, macKey } from "./ethernet.ts";
import { FrameQueue } from "./frame-queue.ts";
import { MacTable } from "./mac-table.ts";
import { PacketCapture } from "./packet-capture.ts";

/** Counts per port, from the device's side of the cable: "in" is what the device sent into the
 *  switch, "out" what the switch delivered to it. */
export interface PortCounters {
  inFrames: number;
  inBytes: number;
  /** Frames the device sent that the port's ingress queue had no room for. */
  inDropped: number;
  /** Runt, oversized or otherwise malformed frames the device sent (not forwarded). */
  invalid: number;
  outFrames: number;
  outBytes: number;
  /** Frames for the device that it could not take (its receive ring or buffer was full). */
  outDropped: number;
}

export interface AttachOptions {
  /** Shown on the dashboard and in errors, e.g. "vm1 eth0". */
  name: string;
  /** Hands a frame to the device; false = it had no room (the frame is dropped and counted). The
   *  frame is the switch's: a device that keeps it must copy it. */
  deliver: (frame: Uint8Array) => boolean;
  queueFrames?: number;
  queueBytes?: number;
}

export interface SwitchOptions {
  /** Milliseconds (epoch: capture timestamps use it). */
  now?: () => number;
  ageingMs?: number;
  macTableSize?: number;
  /** Frames a port forwards per pump at most. */
  quantum?: number;
  /** Flooded frames (broadcast, multicast, unknown unicast) a port forwards per pump at most. */
  floodQuantum?: number;
}

const DEFAULT_QUEUE_FRAMES = 256;
const DEFAULT_QUEUE_BYTES = 256 * 1536;
const MAX_PORTS = 256;

export class SwitchPort {
  readonly counters: PortCounters = { inFrames: 0, inBytes: 0, inDropped: 0, invalid: 0, outFrames: 0, outBytes: 0, outDropped: 0 };
  /** Frames in and out of this port, when a capture is running on it. */
  capture: PacketCapture | null = null;
  /** Why the last invalid frame was refused (for the dashboard and tests). */
  lastProblem = "";
  /** Set when detached: sends are refused. */
  detached = false;
  readonly queue: FrameQueue;

  constructor(
    readonly id: number,
    readonly name: string,
    private readonly sw: VirtualSwitch,
    readonly deliver: (frame: Uint8Array) => boolean,
    queueFrames: number,
    queueBytes: number,
  ) {
    this.queue = new FrameQueue(queueFrames, queueBytes);
  }

  /** The device sent a frame: it waits in the ingress queue for pump(). False when it was refused
   *  (malformed, queue full or port detached); every refusal is counted. The frame must not be
   *  changed by the caller afterwards. */
  send(frame: Uint8Array): boolean {
    const problem = frameProblem(frame);
    if (problem) {
      this.counters.invalid++;
      this.lastProblem = problem;
      return false;
    }
    if (this.detached || !this.queue.push(frame)) {
      this.counters.inDropped++;
      return false;
    }
    this.counters.inFrames++;
    this.counters.inBytes += frame.length;
    this.capture?.record(frame, this.sw.now());
    return true;
  }

  /** Switch → device. */
  output(frame: Uint8Array, timeMs: number): void {
    if (this.deliver(frame)) {
      this.counters.outFrames++;
      this.counters.outBytes += frame.length;
      this.capture?.record(frame, timeMs);
    } else this.counters.outDropped++;
  }
}

export class VirtualSwitch {
  readonly now: () => number;
  readonly macs: MacTable;
  private readonly quantum: number;
  private readonly floodQuantum: number;
  private portList: SwitchPort[] = [];
  private readonly byId = new Map<number, SwitchPort>();
  private nextPortId = 1;
  private rotate = 0;
  /** Every frame forwarded by this switch, when a capture is running on it. */
  capture: PacketCapture | null = null;
  /** Frames forwarded since the switch was made. */
  forwarded = 0;

  constructor(
    readonly name: string,
    options: SwitchOptions = {},
  ) {
    this.now = options.now ?? (() => Date.now());
    this.macs = new MacTable(options.ageingMs, options.macTableSize);
    this.quantum = options.quantum ?? 64;
    this.floodQuantum = options.floodQuantum ?? 16;
    if (!(Number.isInteger(this.quantum) && this.quantum >= 1)) throw new RangeError(`switch ${name}: quantum must be a positive integer`);
    if (!(Number.isInteger(this.floodQuantum) && this.floodQuantum >= 1)) throw new RangeError(`switch ${name}: floodQuantum must be a positive integer`);
  }

  attach(options: AttachOptions): SwitchPort {
    if (this.portList.length >= MAX_PORTS) throw new RangeError(`switch ${this.name} has no free port (at most ${MAX_PORTS})`);
    if (typeof options.deliver !== "function") throw new TypeError(`switch ${this.name}: port "${options.name}" needs a deliver function`);
    const port = new SwitchPort(
      this.nextPortId++,
      options.name,
      this,
      options.deliver,
      options.queueFrames ?? DEFAULT_QUEUE_FRAMES,
      options.queueBytes ?? DEFAULT_QUEUE_BYTES,
    );
    this.portList = [...this.portList, port];
    this.byId.set(port.id, port);
    return port;
  }

  /** Unplugs a port: its queued frames are discarded and the MACs learned on it forgotten. */
  detach(port: SwitchPort): void {
    if (this.byId.get(port.id) !== port) return;
    port.detached = true;
    port.queue.clear();
    this.byId.delete(port.id);
    this.portList = this.portList.filter((p) => p !== port);
    this.macs.forgetPort(port.id);
  }

  ports(): readonly SwitchPort[] {
    return this.portList;
  }

  /** Forwards what waits in the ports' queues, fairly; returns the frames forwarded. */
  pump(): number {
    const ports = this.portList;
    const n = ports.length;
    if (n === 0) return 0;
    const sent = new Int32Array(n);
    const flooded = new Int32Array(n);
    const start = this.rotate++ % n;
    let total = 0;
    for (let progress = true; progress; ) {
      progress = false;
      for (let k = 0; k < n; k++) {
        const i = (start + k) % n;
        const port = ports[i]!;
        if (sent[i] >= this.quantum || port.detached) continue;
        const frame = port.queue.peek();
        if (!frame) continue;
        const now = this.now();
        const dst = isGroupAddress(frame, 0) ? -1 : this.macs.lookup(macKey(frame, 0), now);
        if (dst < 0 && flooded[i] >= this.floodQuantum) continue; // storm control: next pump
        port.queue.shift();
        this.forward(port, frame, dst, now);
        sent[i]++;
        if (dst < 0) flooded[i]++;
        total++;
        progress = true;
      }
    }
    return total;
  }

  private forward(from: SwitchPort, frame: Uint8Array, dst: number, now: number): void {
    this.macs.learn(macKey(frame, 6), from.id, now);
    this.forwarded++;
    this.capture?.record(frame, now);
    if (dst >= 0) {
      const to = this.byId.get(dst);
      // A frame for the port it came from is not sent back (the sender is on that segment).
      if (to && to !== from) to.output(frame, now);
      return;
    }
    for (const p of this.portList) if (p !== from && !p.detached) p.output(frame, now);
  }

  /** Frames waiting in ingress queues. */
  queued(): number {
    let n = 0;
    for (const p of this.portList) n += p.queue.length;
    return n;
  }
}
