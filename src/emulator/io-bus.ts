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

export class IOBus {
  private readonly in8s: (PortReader | undefined)[] = new Array(PORTS);
  private readonly in16s: (PortReader | undefined)[] = new Array(PORTS);
  private readonly in32s: (PortReader | undefined)[] = new Array(PORTS);
  private readonly out8s: (PortWriter | undefined)[] = new Array(PORTS);
  private readonly out16s: (PortWriter | undefined)[] = new Array(PORTS);
  private readonly out32s: (PortWriter | undefined)[] = new Array(PORTS);
  private readonly owners: (string | undefined)[] = new Array(PORTS);
  readonly counters: IoCounters = { reads: 0, writes: 0, unclaimedReads: 0, unclaimedWrites: 0 };
  /** Optional tap for debugging/tracing; called for unclaimed accesses only. */
  onUnclaimed: ((port: number, write: boolean, size: number, value: number) => void) | null = null;

  /** Claims `count` consecutive ports starting at `port`. Throws if any is already owned by another device. */
  register(port: number, count: number, handlers: PortHandlers, owner: string): void {
    if (!Number.isInteger(port) || !Number.isInteger(count) || port < 0 || count < 1 || port + count > PORTS) {
      throw new RangeError(`${owner}: invalid port range ${port}+${count}`);
    }
    for (let p = port; p < port + count; p++) {
      const prev = this.owners[p];
      if (prev !== undefined && prev !== owner) throw new Error(`${owner}: port 0x${p.toString(16)} already claimed by ${prev}`);
      this.owners[p] = owner;
      if (handlers.in8) this.in8s[p] = handlers.in8;
      if (handlers.in16) this.in16s[p] = handlers.in16;
      if (handlers.in32) this.in32s[p] = handlers.in32;
      if (handlers.out8) this.out8s[p] = handlers.out8;
      if (handlers.out16) this.out16s[p] = handlers.out16;
      if (handlers.out32) this.out32s[p] = handlers.out32;
    }
  }

  /** Releases ports (used when a PCI BAR moves). */
  unregister(port: number, count: number, owner: string): void {
    for (let p = port; p < port + count && p < PORTS; p++) {
      if (this.owners[p] !== owner) continue;
      this.owners[p] = undefined;
      this.in8s[p] = this.in16s[p] = this.in32s[p] = undefined;
      this.out8s[p] = this.out16s[p] = this.out32s[p] = undefined;
    }
  }

  ownerOf(port: number): string | undefined {
    return this.owners[port & 0xffff];
  }

  in8(port: number): number {
    port &= 0xffff;
    this.counters.reads++;
    const h = this.in8s[port];
    if (h !== undefined) return h(port) & 0xff;
    return this.unclaimedRead(port, 1, 0xff);
  }

  in16(port: number): number {
    port &= 0xffff;
    this.counters.reads++;
    const h = this.in16s[port];
    if (h !== undefined) return h(port) & 0xffff;
    if (this.in8s[port] !== undefined || this.in8s[(port + 1) & 0xffff] !== undefined) {
      this.counters.reads--; // counted again by the byte reads
      return this.in8(port) | (this.in8((port + 1) & 0xffff) << 8);
    }
    return this.unclaimedRead(port, 2, 0xffff);
  }

  in32(port: number): number {
    port &= 0xffff;
    this.counters.reads++;
    const h = this.in32s[port];
    if (h !== undefined) return h(port) | 0;
    if (this.in16s[port] !== undefined || this.in8s[port] !== undefined) {
      this.counters.reads--;
      return (this.in16(port) | (this.in16((port + 2) & 0xffff) << 16)) | 0;
    }
    return this.unclaimedRead(port, 4, -1);
  }

  out8(port: number, value: number): void {
    port &= 0xffff;
    this.counters.writes++;
    const h = this.out8s[port];
    if (h !== undefined) h(port, value & 0xff);
    else this.unclaimedWrite(port, 1, value & 0xff);
  }

  out16(port: number, value: number): void {
    port &= 0xffff;
    this.counters.writes++;
    const h = this.out16s[port];
    if (h !== undefined) h(port, value & 0xffff);
    else if (this.out8s[port] !== undefined || this.out8s[(port + 1) & 0xffff] !== undefined) {
      this.counters.writes--;
      this.out8(port, value);
      this.out8((port + 1) & 0xffff, value >>> 8);
    } else this.unclaimedWrite(port, 2, value & 0xffff);
  }

  out32(port: number, value: number): void {
    port &= 0xffff;
    this.counters.writes++;
    const h = this.out32s[port];
    if (h !== undefined) h(port, value | 0);
    else if (this.out16s[port] !== undefined || this.out8s[port] !== undefined) {
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
