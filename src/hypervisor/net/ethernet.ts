// Ethernet II frames as the switch sees them: without preamble and FCS (what a NIC hands over and
// takes), 14 header bytes + up to 1500 payload bytes, the NICs' limits (nic-port.ts). Frames
// shorter than the wire's 60-byte minimum are valid here (virtio-net does not pad); the receiving
// NIC pads them.

import { formatMac, parseMac as parseMacOrNull } from "../../emulator/devices/net/mac-address.ts";
import { isGroupAddress } from "../../emulator/devices/net/ethernet.ts";
import { MAX_FRAME_BYTES, MIN_FRAME_BYTES } from "../../emulator/devices/net/nic-port.ts";

export { isGroupAddress };

export { formatMac };
export const ETH_HEADER = 14;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;

export type Mac = Uint8Array;

export const BROADCAST_MAC: Mac = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** A MAC as a number (48 bits fit a double exactly): the key of the switch's tables. */
export function macKey(bytes: Uint8Array, offset = 0): number {
  return (
    bytes[offset] * 2 ** 40 +
    bytes[offset + 1] * 2 ** 32 +
    ((bytes[offset + 2] << 24) >>> 0) +
    (bytes[offset + 3] << 16) +
    (bytes[offset + 4] << 8) +
    bytes[offset + 5]
  );
}

/** Parses "52:54:00:12:34:56" (or with dashes); throws naming what was wrong. */
export function parseMac(text: string): Mac {
  const mac = parseMacOrNull(text);
  if (!mac) throw new RangeError(`not a MAC address (six hex bytes separated by ":"): "${text}"`);
  return mac;
}

export function sameMac(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset = 0): boolean {
  for (let i = 0; i < 6; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}

export function etherType(frame: Uint8Array): number {
  return (frame[12] << 8) | frame[13];
}

/** Builds a frame: header + payload. */
export function ethernetFrame(dst: Mac, src: Mac, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HEADER + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, ETH_HEADER);
  return f;
}

/** What is wrong with a frame for the switch, or null when it may be forwarded. */
export function frameProblem(frame: Uint8Array): string | null {
  if (frame.length < MIN_FRAME_BYTES) return `runt frame of ${frame.length} bytes (a header is ${MIN_FRAME_BYTES})`;
  if (frame.length > MAX_FRAME_BYTES) return `oversized frame of ${frame.length} bytes (at most ${MAX_FRAME_BYTES})`;
  if (isGroupAddress(frame, 6)) return "source address is a group (multicast) address";
  return null;
}
