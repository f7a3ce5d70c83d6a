// The wire side of a network card: what a switch port plugs into. A NIC device owns one NicWire;
// the switch sees it only as a NicPort (frames in, frames out, link state, counters).

/** Largest frame on the wire without the FCS: 14-byte header + 1500-byte payload. */
export const MAX_FRAME_BYTES = 1514;
/** Smallest frame a NIC accepts from the wire or the guest: an Ethernet header. */
export const MIN_FRAME_BYTES = 14;
/** Ethernet's minimum frame without the FCS: shorter received frames are padded to this, as the
 *  sending hardware would have. */
export const MIN_PADDED_FRAME_BYTES = 60;

export interface NicPort {
  readonly mac: Uint8Array; // 6 bytes
  /** Link state (shown to the guest: virtio status; the NE2000 has none). */
  linkUp: boolean;
  /** Set by whoever plugs the NIC in (a switch port); called with each frame the guest transmits (a copy). */
  onTransmit: ((frame: Uint8Array) => void) | null;
  /** A frame from the wire; false when the NIC cannot take it now (dropped and counted). */
  receive(frame: Uint8Array): boolean;
  readonly counters: { txFrames: number; txBytes: number; rxFrames: number; rxBytes: number; rxDropped: number };
}

export interface NicCounters {
  txFrames: number;
  txBytes: number;
  /** Frames the guest sent that were not valid Ethernet frames (too short or too long). */
  txDropped: number;
  rxFrames: number;
  rxBytes: number;
  rxDropped: number;
}

/** What a NIC device does with a frame from the wire: true when it took it. */
export type FrameSink = (frame: Uint8Array) => boolean;

/** A NIC's port: bounds-checks and counts frames both ways; the device gives it its receive path. */
export class NicWire implements NicPort {
  readonly mac: Uint8Array;
  onTransmit: ((frame: Uint8Array) => void) | null = null;
  readonly counters: NicCounters = { txFrames: 0, txBytes: 0, txDropped: 0, rxFrames: 0, rxBytes: 0, rxDropped: 0 };
  private link: boolean;
  /** Called after the link state changed (virtio raises a config interrupt). */
  onLinkChange: (() => void) | null = null;

  constructor(
    mac: Uint8Array,
    linkUp: boolean,
    private readonly sink: FrameSink,
  ) {
    if (mac.length !== 6) throw new RangeError(`nic: MAC address must be 6 bytes, got ${mac.length}`);
    this.mac = mac.slice();
    this.link = linkUp;
  }

  get linkUp(): boolean {
    return this.link;
  }

  set linkUp(up: boolean) {
    if (up === this.link) return;
    this.link = up;
    this.onLinkChange?.();
  }

  receive(frame: Uint8Array): boolean {
    const c = this.counters;
    if (!this.link || frame.length < MIN_FRAME_BYTES || frame.length > MAX_FRAME_BYTES) {
      c.rxDropped++;
      return false;
    }
    let padded = frame;
    if (frame.length < MIN_PADDED_FRAME_BYTES) {
      padded = new Uint8Array(MIN_PADDED_FRAME_BYTES);
      padded.set(frame);
    }
    if (!this.sink(padded)) {
      c.rxDropped++;
      return false;
    }
    c.rxFrames++;
    c.rxBytes += padded.length;
    return true;
  }

  /** The guest sent `frame` (the device's own buffer: copied before it leaves). False when dropped. */
  transmit(frame: Uint8Array): boolean {
    const c = this.counters;
    if (frame.length < MIN_FRAME_BYTES || frame.length > MAX_FRAME_BYTES || !this.link) {
      c.txDropped++;
      return false;
    }
    c.txFrames++;
    c.txBytes += frame.length;
    this.onTransmit?.(frame.slice());
    return true;
  }
}
