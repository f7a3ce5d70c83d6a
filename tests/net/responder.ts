// A tiny host on the wire for guest tests: answers ARP for its address, ICMP echo requests, and
// DHCP DISCOVER/REQUEST with one fixed lease (10.0.2.15/24, router and server 10.0.2.2). It sees
// every frame the guest sends and replies synchronously into the NIC.

import type { NicPort } from "../../src/emulator/devices/net/nic-port.ts";

export const HOST_IP = [10, 0, 2, 2];
export const GUEST_IP = [10, 0, 2, 15];
const HOST_MAC = [0x52, 0x54, 0x00, 0x00, 0x02, 0x02];
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

export interface Responder {
  /** Every frame the guest sent. */
  seen: Uint8Array[];
  dhcp: { discovers: number; requests: number };
  echoes: number;
}

const be16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const sameIp = (b: Uint8Array, at: number, ip: number[]) => ip.every((x, i) => b[at + i] === x);

function checksum(b: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i += 2) sum += (b[i] << 8) | (i + 1 < to ? b[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4 frame from the host: Ethernet + IP header (checksummed) around `payload`. */
function ipFrame(dstMac: ArrayLike<number>, dstIp: number[], proto: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(34 + payload.length);
  f.set(dstMac, 0);
  f.set(HOST_MAC, 6);
  f.set([0x08, 0x00, 0x45, 0, (20 + payload.length) >> 8, (20 + payload.length) & 0xff, 0, 0, 0, 0, 64, proto, 0, 0], 12);
  f.set(HOST_IP, 26);
  f.set(dstIp, 30);
  const c = checksum(f, 14, 34);
  f[24] = c >> 8;
  f[25] = c & 0xff;
  f.set(payload, 34);
  return f;
}

function dhcpReply(req: Uint8Array, type: number): Uint8Array {
  const bootp = req.subarray(42);
  const msg = new Uint8Array(300);
  msg.set([2, 1, 6, 0], 0);
  msg.set(bootp.subarray(4, 8), 4); // xid
  msg.set(bootp.subarray(10, 12), 10); // flags
  msg.set(GUEST_IP, 16); // yiaddr
  msg.set(HOST_IP, 20); // siaddr
  msg.set(bootp.subarray(28, 44), 28); // chaddr
  msg.set([99, 130, 83, 99], 236);
  msg.set([53, 1, type, 54, 4, ...HOST_IP, 51, 4, 0, 0, 0x0e, 0x10, 1, 4, 255, 255, 255, 0, 3, 4, ...HOST_IP, 255], 240);
  const udp = new Uint8Array(8 + msg.length);
  udp.set([0, 67, 0, 68, udp.length >> 8, udp.length & 0xff, 0, 0], 0);
  udp.set(msg, 8);
  return ipFrame(BROADCAST, [255, 255, 255, 255], 17, udp);
}

function dhcpType(f: Uint8Array): number {
  for (let at = 42 + 240; at + 1 < f.length && f[at] !== 255; at += f[at] === 0 ? 1 : 2 + f[at + 1]) {
    if (f[at] === 53) return f[at + 2];
  }
  return 0;
}

export function attachResponder(port: NicPort): Responder {
  const r: Responder = { seen: [], dhcp: { discovers: 0, requests: 0 }, echoes: 0 };
  port.onTransmit = (f) => {
    r.seen.push(f);
    const type = be16(f, 12);
    if (type === 0x0806 && be16(f, 20) === 1 && sameIp(f, 38, HOST_IP)) {
      const reply = new Uint8Array(42);
      reply.set(f.subarray(6, 12), 0);
      reply.set(HOST_MAC, 6);
      reply.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2, ...HOST_MAC, ...HOST_IP], 12);
      reply.set(f.subarray(22, 32), 32); // target: the asker's MAC and IP
      port.receive(reply);
    } else if (type === 0x0800 && f[23] === 1 && f[34] === 8 && sameIp(f, 30, HOST_IP)) {
      const ihl = (f[14] & 0x0f) * 4;
      const icmp = f.slice(14 + ihl, 14 + be16(f, 16));
      icmp[0] = 0;
      icmp[2] = icmp[3] = 0;
      const c = checksum(icmp, 0, icmp.length);
      icmp[2] = c >> 8;
      icmp[3] = c & 0xff;
      r.echoes++;
      port.receive(ipFrame(f.subarray(6, 12), [...f.subarray(26, 30)], 1, icmp));
    } else if (type === 0x0800 && f[23] === 17 && be16(f, 36) === 67) {
      const t = dhcpType(f);
      if (t === 1) r.dhcp.discovers++;
      if (t === 3) r.dhcp.requests++;
      if (t === 1 || t === 3) port.receive(dhcpReply(f, t === 1 ? 2 : 5));
    }
  };
  return r;
}
