// ARP for IPv4 over Ethernet (RFC 826): the switch answers requests for its own address.

import { readIp, writeIp } from "./ipv4.ts";

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const ARP_LENGTH = 28;

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

export function parseArp(p: Uint8Array): ArpPacket | string {
  if (p.length < ARP_LENGTH) return `ARP packet of ${p.length} bytes is shorter than ${ARP_LENGTH}`;
  const htype = (p[0] << 8) | p[1];
  const ptype = (p[2] << 8) | p[3];
  if (htype !== 1 || ptype !== 0x0800 || p[4] !== 6 || p[5] !== 4) return `ARP for hardware ${htype}/${p[4]} and protocol ${ptype.toString(16)}/${p[5]} is not Ethernet/IPv4`;
  const op = (p[6] << 8) | p[7];
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return `ARP operation ${op} is neither request nor reply`;
  return { op, senderMac: p.slice(8, 14), senderIp: readIp(p, 14), targetMac: p.slice(18, 24), targetIp: readIp(p, 24) };
}

export function buildArp(a: ArpPacket): Uint8Array {
  const p = new Uint8Array(ARP_LENGTH);
  p.set([0, 1, 0x08, 0x00, 6, 4, 0, a.op]);
  p.set(a.senderMac, 8);
  writeIp(p, 14, a.senderIp);
  p.set(a.targetMac, 18);
  writeIp(p, 24, a.targetIp);
  return p;
}
