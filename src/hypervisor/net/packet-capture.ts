// Packet capture: a bounded ring of the most recent frames seen on a port or a switch, exported as
// a classic pcap file (the format of libpcap, tcpdump -w and Wireshark: magic a1b2c3d4 in the
// writer's byte order, here little-endian, version 2.4, link type 1 = Ethernet). When the ring is
// full the oldest frames make room.

import { MAX_FRAME_BYTES } from "../../emulator/devices/net/nic-port.ts";

const PCAP_MAGIC = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

interface Captured {
  timeMs: number;
  originalLength: number;
  data: Uint8Array;
}

export class PacketCapture {
  private ring: Captured[] = [];
  private next = 0;
  private bytesHeld = 0;
  /** Frames seen since the capture started (also those the ring no longer holds). */
  seen = 0;

  constructor(
    readonly maxFrames = 1000,
    readonly maxBytes = 2 * 1024 * 1024,
    readonly snapLength = MAX_FRAME_BYTES,
  ) {
    if (!Number.isInteger(maxFrames) || maxFrames < 1) throw new RangeError(`capture: maxFrames must be a positive integer, got ${maxFrames}`);
    if (!Number.isInteger(maxBytes) || maxBytes < snapLength) throw new RangeError(`capture: maxBytes must be at least the snap length ${snapLength}, got ${maxBytes}`);
    if (!Number.isInteger(snapLength) || snapLength < 14 || snapLength > 65535) throw new RangeError(`capture: snap length must be 14-65535, got ${snapLength}`);
  }

  /** Frames held. */
  get length(): number {
    return this.ring.length - this.next;
  }

  /** Keeps a copy of the frame (cut to the snap length) with its time in epoch milliseconds. */
  record(frame: Uint8Array, timeMs: number): void {
    this.seen++;
    const data = frame.slice(0, Math.min(frame.length, this.snapLength));
    const item: Captured = { timeMs, originalLength: frame.length, data };
    // Oldest first out, by count and by bytes.
    while (this.length > 0 && (this.length >= this.maxFrames || this.bytesHeld + data.length > this.maxBytes)) this.dropOldest();
    this.ring.push(item);
    this.bytesHeld += data.length;
  }

  private dropOldest(): void {
    const old = this.ring[this.next];
    if (!old) return;
    this.bytesHeld -= old.data.length;
    this.next++;
    if (this.next >= 256 || this.next >= this.ring.length) {
      this.ring = this.ring.slice(this.next);
      this.next = 0;
    }
  }

  clear(): void {
    this.ring = [];
    this.next = 0;
    this.bytesHeld = 0;
  }

  /** The frames held, oldest first. */
  frames(): readonly Captured[] {
    return this.ring.slice(this.next);
  }

  /** The capture as a pcap file. */
  toPcap(): Uint8Array {
    const frames = this.frames();
    const size = FILE_HEADER + frames.reduce((n, f) => n + RECORD_HEADER + f.data.length, 0);
    const out = new Uint8Array(size);
    const v = new DataView(out.buffer);
    v.setUint32(0, PCAP_MAGIC, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone: UTC
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, this.snapLength, true);
    v.setUint32(20, LINKTYPE_ETHERNET, true);
    let at = FILE_HEADER;
    for (const f of frames) {
      const sec = Math.floor(f.timeMs / 1000);
      const usec = Math.min(999_999, Math.round((f.timeMs - sec * 1000) * 1000));
      v.setUint32(at, sec >>> 0, true);
      v.setUint32(at + 4, usec, true);
      v.setUint32(at + 8, f.data.length, true);
      v.setUint32(at + 12, f.originalLength, true);
      out.set(f.data, at + RECORD_HEADER);
      at += RECORD_HEADER + f.data.length;
    }
    return out;
  }
}
