// One split virtqueue in the legacy layout (virtio 0.9.5 / virtio 1.x "legacy interface"): the
// descriptor table at PFN * 4096, the available ring right after it, the used ring at the next
// 4096-byte boundary. Everything the guest wrote is untrusted: the ring must lie in RAM, chains are
// at most `size` descriptors, buffers must lie in RAM, and a broken chain is skipped and logged.

import type { Logger } from "../../device.ts";
import type { PhysicalMemory } from "../../memory.ts";

const DESC_BYTES = 16;
const VRING_ALIGN = 4096;
const DESC_F_NEXT = 1;
const DESC_F_WRITE = 2;
const AVAIL_F_NO_INTERRUPT = 1;

/** The buffers of one descriptor chain, split into the device-readable and device-writable parts. */
export class Chain {
  readonly addr: Float64Array;
  readonly len: Uint32Array;
  readonly writable: Uint8Array;
  count = 0;
  readableBytes = 0;
  writableBytes = 0;
  constructor(max: number) {
    this.addr = new Float64Array(max);
    this.len = new Uint32Array(max);
    this.writable = new Uint8Array(max);
  }
}

export class Virtqueue {
  /** Guest page number of the ring (0 = not set up). */
  pfn = 0;
  /** Next available-ring entry the device will take. */
  lastAvail = 0;
  /** The used ring's index as the device last wrote it. */
  usedIdx = 0;
  private desc = 0;
  private avail = 0;
  private used = 0;
  /** False when the ring is unset or does not fit in RAM. */
  private ready = false;
  readonly chain: Chain;

  constructor(
    readonly size: number,
    private readonly memory: PhysicalMemory,
    private readonly log: Logger,
    private readonly name: string,
  ) {
    this.chain = new Chain(size);
  }

  /** Bytes the ring takes in guest memory. */
  get ringBytes(): number {
    const availEnd = this.size * DESC_BYTES + 6 + 2 * this.size;
    return Math.ceil(availEnd / VRING_ALIGN) * VRING_ALIGN + 6 + 8 * this.size;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** The guest wrote the queue address register; places the ring there when it fits in RAM. */
  setPfn(pfn: number): void {
    this.pfn = pfn >>> 0;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.place();
  }

  /** Recomputes the ring addresses from `pfn` (after a restore too); keeps the indices. */
  place(): void {
    this.ready = false;
    if (this.pfn === 0) return;
    const base = this.pfn * VRING_ALIGN;
    if (base + this.ringBytes > this.memory.ramSize) {
      this.log("warn", this.name, `ring at 0x${base.toString(16)} (${this.ringBytes} bytes) is outside RAM: queue ignored`);
      return;
    }
    this.desc = base;
    this.avail = base + this.size * DESC_BYTES;
    this.used = base + Math.ceil((this.size * DESC_BYTES + 6 + 2 * this.size) / VRING_ALIGN) * VRING_ALIGN;
    this.ready = true;
  }

  reset(): void {
    this.pfn = 0;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.ready = false;
  }

  /** Chains the guest has made available and the device has not taken (0 on a malformed index). */
  pending(): number {
    if (!this.ready) return 0;
    const n = (this.memory.read16(this.avail + 2) - this.lastAvail) & 0xffff;
    if (n > this.size) {
      this.log("warn", this.name, `available index runs ${n} entries ahead of a ${this.size}-entry ring: ignored`);
      return 0;
    }
    return n;
  }

  /** True when the guest asked not to be interrupted for used buffers. */
  interruptSuppressed(): boolean {
    return (this.memory.read16(this.avail) & AVAIL_F_NO_INTERRUPT) !== 0;
  }

  /** Head descriptor of the next available chain (call only when pending() > 0). */
  peekHead(): number {
    return this.memory.read16(this.avail + 4 + 2 * (this.lastAvail % this.size));
  }

  /** Takes the next available entry. */
  advance(): void {
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
  }

  /** Reads the chain starting at `head` into `this.chain`; false (logged) when it is malformed. */
  readChain(head: number): boolean {
    const c = this.chain;
    c.count = c.readableBytes = c.writableBytes = 0;
    let i = head;
    for (;;) {
      if (i >= this.size) return this.bad(`descriptor index ${i} is outside the ${this.size}-entry table`);
      if (c.count === this.size) return this.bad(`chain from ${head} is longer than the table (a loop)`);
      const d = this.desc + i * DESC_BYTES;
      const lo = this.memory.read32(d) >>> 0;
      const hi = this.memory.read32(d + 4) >>> 0;
      const len = this.memory.read32(d + 8) >>> 0;
      const flags = this.memory.read16(d + 12);
      if (hi !== 0 || lo + len > this.memory.ramSize) return this.bad(`buffer 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")}+${len} is outside RAM`);
      const w = flags & DESC_F_WRITE ? 1 : 0;
      if (!w && c.writableBytes > 0) return this.bad(`chain from ${head} has a readable buffer after a writable one`);
      c.addr[c.count] = lo;
      c.len[c.count] = len;
      c.writable[c.count] = w;
      c.count++;
      if (w) c.writableBytes += len;
      else c.readableBytes += len;
      if (!(flags & DESC_F_NEXT)) return true;
      i = this.memory.read16(d + 14);
    }
  }

  private bad(why: string): boolean {
    this.log("warn", this.name, `${why}: chain skipped`);
    return false;
  }

  /** Copies up to `max` readable bytes of the chain, skipping the first `skip`. */
  gather(skip: number, max: number): Uint8Array {
    const c = this.chain;
    const out = new Uint8Array(Math.max(0, Math.min(max, c.readableBytes - skip)));
    let at = 0;
    let pos = 0;
    for (let k = 0; k < c.count && at < out.length; k++) {
      if (c.writable[k]) break;
      const len = c.len[k];
      const from = Math.max(0, skip - pos);
      if (from < len) {
        const n = Math.min(len - from, out.length - at);
        out.set(this.memory.readBytes(c.addr[k] + from, n), at);
        at += n;
      }
      pos += len;
    }
    return out;
  }

  /** Writes `data` into the chain's writable buffers starting `offset` bytes in; returns the end offset. */
  scatter(offset: number, data: Uint8Array): number {
    const c = this.chain;
    let pos = 0;
    let from = 0;
    for (let k = 0; k < c.count && from < data.length; k++) {
      if (!c.writable[k]) continue;
      const len = c.len[k];
      if (offset < pos + len) {
        const into = Math.max(0, offset - pos);
        const n = Math.min(len - into, data.length - from);
        this.memory.writeBytes(c.addr[k] + into, data.subarray(from, from + n));
        from += n;
        offset += n;
      }
      pos += len;
    }
    return offset;
  }

  /** Returns a chain to the guest with `written` bytes in it. */
  putUsed(head: number, written: number): void {
    const e = this.used + 4 + 8 * (this.usedIdx % this.size);
    this.memory.write32(e, head);
    this.memory.write32(e + 4, written);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.memory.write16(this.used + 2, this.usedIdx);
  }
}
