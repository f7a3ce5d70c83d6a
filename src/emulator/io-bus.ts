// The x86 port I/O space: 65536 byte ports. Devices claim ports; unclaimed reads return all-ones and
// unclaimed writes are dropped, both counted so the hypervisor can log them.

export type PortReader = (port: number) => number;
export type PortWriter = (port: number, value: number) => void;

export interface PortHandlers {
  in8?: PortReader;
  in16?: PortReader;
  in32?: PortReader;
  out8?: PortWriter;
  out16?: PortWriter;
  out32?: PortWriter;
}

export interface IoCounters {
  reads: number;
  writes: number;
  unclaimedReads: number;
  unclaimedWrites: number;
}

const PORTS = 0x10000;

/** The handlers one device gave a set of ports (a class: one object shape on the hot path). */
class PortSlot {
  constructor(
    readonly owner: string,
    readonly in8: PortReader | undefined,
    readonly in16: PortReader | undefined,
    readonly in32: PortReader | undefined,
    readonly out8: PortWriter | undefined,
    readonly out16: PortWriter | undefined,
    readonly out32: PortWriter | undefined,
  ) {}
}

const NO_SLOT = new PortSlot("", undefined, undefined, undefined, undefined, undefined, undefined);

export class IOBus {
  /** Per port, an index into `slots` (0 = unclaimed): 128 KiB instead of handler arrays of
   *  65536 pointers per access kind. Slots are shared by the ports of one registration and
   *  freed when no port uses them, so a guest remapping a PCI BAR forever does not grow them. */
  private readonly slotIndex = new Uint16Array(PORTS);
  private readonly slots: PortSlot[] = [NO_SLOT];
  private readonly slotRefs: number[] = [0];
  private readonly freeSlots: number[] = [];
  readonly counters: IoCounters = { reads: 0, writes: 0, unclaimedReads: 0, unclaimedWrites: 0 };
  /** Optional tap for debugging/tracing; called for unclaimed accesses only. */
  onUnclaimed: ((port: number, write: boolean, size: number, value: number) => void) | null = null;

  /** Claims `count` consecutive ports starting at `port`. Throws if any is already owned by another
   *  device; a device registering ports again keeps the handlers it does not give anew. */
  register(port: number, count: number, handlers: PortHandlers, owner: string): void {
    if (!Number.isInteger(port) || !Number.isInteger(count) || port < 0 || count < 1 || port + count > PORTS) {
      throw new RangeError(`${owner}: invalid port range ${port}+${count}`);
    }
    for (let p = port; p < port + count; p++) {
      const prev = this.slots[this.slotIndex[p]].owner;
      if (prev !== "" && prev !== owner) throw new Error(`${owner}: port 0x${p.toString(16)} already claimed by ${prev}`);
    }
    // One new slot per distinct slot the ports had (usually just one).
    const made = new Map<number, number>();
    for (let p = port; p < port + count; p++) {
      const old = this.slotIndex[p];
      let n = made.get(old);
      if (n === undefined) {
        const o = this.slots[old];
        n = this.allocSlot(
          new PortSlot(owner, handlers.in8 ?? o.in8, handlers.in16 ?? o.in16, handlers.in32 ?? o.in32, handlers.out8 ?? o.out8, handlers.out16 ?? o.out16, handlers.out32 ?? o.out32),
        );
        made.set(old, n);
      }
      this.slotRefs[n]++;
      this.slotIndex[p] = n;
      this.releaseSlot(old);
    }
  }

  /** Releases ports (used when a PCI BAR moves). */
  unregister(port: number, count: number, owner: string): void {
    for (let p = port; p < port + count && p < PORTS; p++) {
      const i = this.slotIndex[p];
      if (i === 0 || this.slots[i].owner !== owner) continue;
      this.slotIndex[p] = 0;
      this.releaseSlot(i);
    }
  }

  /** Handler slots in use (diagnostics: bounded by the claimed ports, whatever the guest remaps). */
  get slotsInUse(): number {
    return this.slots.length - this.freeSlots.length - 1;
  }

  private allocSlot(slot: PortSlot): number {
    const i = this.freeSlots.pop() ?? this.slots.length;
    this.slots[i] = slot;
    this.slotRefs[i] = 0;
    return i;
  }

  private releaseSlot(i: number): void {
    if (i === 0 || --this.slotRefs[i] > 0) return;
    this.slots[i] = NO_SLOT;
    this.freeSlots.push(i);
  }

  ownerOf(port: number): string | undefined {
    const owner = this.slots[this.slotIndex[port & 0xffff]].owner;
    return owner === "" ? undefined : owner;
  }

  in8(port: number): number {
    port &= 0xffff;
    this.counters.reads++;
    const h = this.slots[this.slotIndex[port]].in8;
    if (h !== undefined) return h(port) & 0xff;
    return this.unclaimedRead(port, 1, 0xff);
  }

  in16(port: number): number {
    port &= 0xffff;
    this.counters.reads++;
    const h = this.slots[this.slotIndex[port]].in16;
    if (h !== undefined) return h(port) & 0xffff;
    if (this.slots[this.slotIndex[port]].in8 !== undefined || this.slots[this.slotIndex[(port + 1) & 0xffff]].in8 !== undefined) {
      this.counters.reads--; // counted again by the byte reads
      return this.in8(port) | (this.in8((port + 1) & 0xffff) << 8);
    }
    return this.unclaimedRead(port, 2, 0xffff);
  }

  in32(port: number): number {
    port &= 0xffff;
    this.counters.reads++;
    const h = this.slots[this.slotIndex[port]].in32;
    if (h !== undefined) return h(port) | 0;
    if (this.slots[this.slotIndex[port]].in16 !== undefined || this.slots[this.slotIndex[port]].in8 !== undefined) {
      this.counters.reads--;
      return (this.in16(port) | (this.in16((port + 2) & 0xffff) << 16)) | 0;
    }
    return this.unclaimedRead(port, 4, -1);
  }

  out8(port: number, value: number): void {
    port &= 0xffff;
    this.counters.writes++;
    const h = this.slots[this.slotIndex[port]].out8;
    if (h !== undefined) h(port, value & 0xff);
    else this.unclaimedWrite(port, 1, value & 0xff);
  }

  out16(port: number, value: number): void {
    port &= 0xffff;
    this.counters.writes++;
    const h = this.slots[this.slotIndex[port]].out16;
    if (h !== undefined) h(port, value & 0xffff);
    else if (this.slots[this.slotIndex[port]].out8 !== undefined || this.slots[this.slotIndex[(port + 1) & 0xffff]].out8 !== undefined) {
      this.counters.writes--;
      this.out8(port, value);
      this.out8((port + 1) & 0xffff, value >>> 8);
    } else this.unclaimedWrite(port, 2, value & 0xffff);
  }

  out32(port: number, value: number): void {
    port &= 0xffff;
    this.counters.writes++;
    const h = this.slots[this.slotIndex[port]].out32;
    if (h !== undefined) h(port, value | 0);
    else if (this.slots[this.slotIndex[port]].out16 !== undefined || this.slots[this.slotIndex[port]].out8 !== undefined) {
      this.counters.writes--;
      this.out16(port, value);
      this.out16((port + 2) & 0xffff, value >>> 16);
    } else this.unclaimedWrite(port, 4, value | 0);
  }

  private unclaimedRead(port: number, size: number, ones: number): number {
    this.counters.unclaimedReads++;
    if (this.onUnclaimed) this.onUnclaimed(port, false, size, ones);
    return ones;
  }

  private unclaimedWrite(port: number, size: number, value: number): void {
    this.counters.unclaimedWrites++;
    if (this.onUnclaimed) this.onUnclaimed(port, true, size, value);
  }
}
