// virtio-net over the legacy (transitional) virtio PCI interface: PCI 1af4:1000, subsystem 1, one
// 32-port I/O BAR holding the common registers (features, queue address/size/select/notify, device
// status, ISR) and, from 0x14, the network config (MAC, link status). Two queues: 0 = receive,
// 1 = transmit. The device offers only VIRTIO_NET_F_MAC and VIRTIO_NET_F_STATUS, so every frame
// carries a 10-byte virtio_net_hdr with no offloads. Interrupts go out on INTA#.

import type { Device, DeviceContext, PciFunction } from "../../device.ts";
import { StateLayout, type SavedState, records, u8, u16, u32 } from "../../state.ts";
import { pciConfigHeader } from "../chipset/pci-bus.ts";
import { MAX_FRAME_BYTES, NicWire } from "./nic-port.ts";
import { Virtqueue } from "./virtqueue.ts";

const IO_BAR_SIZE = 32;
const QUEUE_SIZE = 256;
const RX = 0;
const TX = 1;

// Legacy register offsets
const HOST_FEATURES = 0x00;
const GUEST_FEATURES = 0x04;
const QUEUE_PFN = 0x08;
const QUEUE_NUM = 0x0c;
const QUEUE_SEL = 0x0e;
const QUEUE_NOTIFY = 0x10;
const DEVICE_STATUS = 0x12;
const ISR_STATUS = 0x13;
const CONFIG = 0x14;

const F_MAC = 1 << 5;
const F_STATUS = 1 << 16;
const OFFERED = F_MAC | F_STATUS;
const STATUS_DRIVER_OK = 4;
const ISR_QUEUE = 1;
const ISR_CONFIG = 2;
const NET_S_LINK_UP = 1;
/** struct virtio_net_hdr without mergeable buffers: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
const NET_HDR_BYTES = 10;
const ZERO_HDR = new Uint8Array(NET_HDR_BYTES);

export interface VirtioNetOptions {
  name: string;
  pciDevice: number;
  mac: Uint8Array;
  linkUp: boolean;
}

export class VirtioNet implements Device {
  readonly name: string;
  readonly pci: PciFunction;
  readonly wire: NicWire;
  readonly queues: Virtqueue[];
  private ioBase = -1;
  private guestFeatures = 0;
  private queueSel = 0;
  private status = 0;
  private isr = 0;

  constructor(
    private readonly ctx: DeviceContext,
    options: VirtioNetOptions,
  ) {
    this.name = options.name;
    this.wire = new NicWire(options.mac, options.linkUp, (frame) => this.receiveFrame(frame));
    this.wire.onLinkChange = () => {
      if (this.status & STATUS_DRIVER_OK) this.raise(ISR_CONFIG);
    };
    this.queues = [0, 1].map((q) => new Virtqueue(QUEUE_SIZE, ctx.memory, ctx.log, `${this.name} ${q === RX ? "rx" : "tx"} queue`));
    this.pci = {
      name: this.name,
      device: options.pciDevice,
      fn: 0,
      config: pciConfigHeader({ vendor: 0x1af4, device: 0x1000, classCode: 0x020000, interruptPin: 1, subsystemVendor: 0x1af4, subsystem: 1 }),
      bars: [{ size: IO_BAR_SIZE, kind: "io", onMap: (base) => this.mapIo(base) }],
    };
    ctx.pci.addFunction(this.pci);
    this.reset();
  }

  /** Device reset (power-on, or the driver writing 0 to the status register). */
  reset(): void {
    this.guestFeatures = 0;
    this.queueSel = 0;
    this.status = 0;
    this.isr = 0;
    for (const q of this.queues) q.reset();
    this.updateIrq();
  }

  private mapIo(base: number): void {
    const io = this.ctx.io;
    if (this.ioBase >= 0) io.unregister(this.ioBase, IO_BAR_SIZE, this.name);
    this.ioBase = base;
    if (base < 0) return;
    io.register(base, IO_BAR_SIZE, {
      in8: (p) => this.read(p - base, 1),
      in16: (p) => this.read(p - base, 2),
      in32: (p) => this.read(p - base, 4),
      out8: (p, v) => this.write(p - base, 1, v),
      out16: (p, v) => this.write(p - base, 2, v),
      out32: (p, v) => this.write(p - base, 4, v),
    }, this.name);
  }

  private updateIrq(): void {
    this.ctx.pci.setIntx(this.pci, this.isr !== 0);
  }

  private raise(bits: number): void {
    this.isr |= bits;
    this.updateIrq();
  }

  // ---- registers ----

  private read(off: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.readByte(off + i);
    if (off <= ISR_STATUS && off + size > ISR_STATUS) {
      this.isr = 0; // reading the ISR acknowledges the interrupt
      this.updateIrq();
    }
    return size === 4 ? v >>> 0 : v;
  }

  private readByte(off: number): number {
    const q = this.queues[this.queueSel];
    const byteOf = (value: number, start: number) => (value >>> (8 * (off - start))) & 0xff;
    if (off < GUEST_FEATURES) return byteOf(OFFERED, HOST_FEATURES);
    if (off < QUEUE_PFN) return byteOf(this.guestFeatures, GUEST_FEATURES);
    if (off < QUEUE_NUM) return byteOf(q?.pfn ?? 0, QUEUE_PFN);
    if (off < QUEUE_SEL) return byteOf(q ? QUEUE_SIZE : 0, QUEUE_NUM);
    if (off < QUEUE_NOTIFY) return byteOf(this.queueSel, QUEUE_SEL);
    if (off < DEVICE_STATUS) return 0;
    if (off === DEVICE_STATUS) return this.status;
    if (off === ISR_STATUS) return this.isr;
    const c = off - CONFIG;
    if (c < 6) return this.wire.mac[c];
    if (c < 8) return byteOf(this.wire.linkUp ? NET_S_LINK_UP : 0, CONFIG + 6);
    return 0;
  }

  private write(off: number, size: number, value: number): void {
    const merge = (cur: number, start: number, width: number) => {
      const shift = 8 * (off - start);
      const bits = Math.min(size, width - (off - start)) * 8;
      const mask = (bits >= 32 ? 0xffffffff : (1 << bits) - 1) * 2 ** shift;
      return ((cur & ~mask) | ((value * 2 ** shift) & mask)) >>> 0;
    };
    if (off >= GUEST_FEATURES && off < QUEUE_PFN) {
      this.guestFeatures = merge(this.guestFeatures, GUEST_FEATURES, 4) & OFFERED;
    } else if (off >= QUEUE_PFN && off < QUEUE_NUM) {
      const q = this.queues[this.queueSel];
      q?.setPfn(merge(q.pfn, QUEUE_PFN, 4));
    } else if (off >= QUEUE_SEL && off < QUEUE_NOTIFY) {
      this.queueSel = merge(this.queueSel, QUEUE_SEL, 2) & 0xffff;
    } else if (off >= QUEUE_NOTIFY && off < DEVICE_STATUS) {
      if (merge(0, QUEUE_NOTIFY, 2) === TX) this.transmitPending();
    } else if (off === DEVICE_STATUS) {
      if ((value & 0xff) === 0) this.reset();
      else this.status = value & 0xff;
    }
    // host features, queue size, ISR and the config (MAC, status) are read-only
  }

  // ---- frames ----

  private transmitPending(): void {
    if (!(this.status & STATUS_DRIVER_OK)) return;
    const q = this.queues[TX];
    let n = q.pending();
    if (n === 0) return;
    for (; n > 0; n--) {
      const head = q.peekHead();
      q.advance();
      if (q.readChain(head)) {
        // One byte over the limit is enough for the wire to see an oversized frame and drop it.
        this.wire.transmit(q.gather(NET_HDR_BYTES, MAX_FRAME_BYTES + 1));
      }
      q.putUsed(head, 0);
    }
    if (!q.interruptSuppressed()) this.raise(ISR_QUEUE);
  }

  private receiveFrame(frame: Uint8Array): boolean {
    if (!(this.status & STATUS_DRIVER_OK)) return false;
    const q = this.queues[RX];
    // Bounded: each pass either takes a usable buffer or drops a malformed one.
    for (let tries = q.pending(); tries > 0; tries--) {
      const head = q.peekHead();
      if (!q.readChain(head)) {
        q.advance();
        q.putUsed(head, 0);
        continue;
      }
      if (q.chain.writableBytes < NET_HDR_BYTES + frame.length) return false; // the guest's buffers are too small
      q.advance();
      q.scatter(NET_HDR_BYTES, frame);
      q.scatter(0, ZERO_HDR);
      q.putUsed(head, NET_HDR_BYTES + frame.length);
      if (!q.interruptSuppressed()) this.raise(ISR_QUEUE);
      return true;
    }
    return false;
  }

  // ---- state ----

  private static readonly STATE = new StateLayout<VirtioNet>("virtio-net", 1, {
    guestFeatures: u32(),
    queueSel: u16(),
    status: u8(),
    isr: u8(),
    queues: records({ pfn: u32(), lastAvail: u16(), usedIdx: u16() }, 2),
  }, {
    afterLoad: (d: VirtioNet) => {
      for (const q of d.queues) q.place();
      d.updateIrq();
    },
  });

  saveState(): SavedState {
    return VirtioNet.STATE.save(this);
  }

  checkState(state: SavedState): void {
    VirtioNet.STATE.check(state, this);
  }

  loadState(state: SavedState): void {
    VirtioNet.STATE.load(this, state);
  }
}
