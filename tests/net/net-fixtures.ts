// Frames built by hand for the switch's tests (independent of the builders under test where it
// matters: DHCP and DNS requests are laid out byte by byte here).

import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ethernetFrame, parseMac, BROADCAST_MAC } from "../../src/hypervisor/net/ethernet.ts";
import { buildIpv4, buildUdp, internetChecksum, parseIp } from "../../src/hypervisor/net/ipv4.ts";
import { VirtualSwitch } from "../../src/hypervisor/net/virtual-switch.ts";

export const GUEST_MAC = parseMac("02:42:00:00:00:01");
export const GATEWAY = parseIp("10.0.2.2");

/** A DHCP client message: BOOTREQUEST with chaddr = mac and the given options (code, bytes). */
export function dhcpRequest(mac: Uint8Array, type: number, options: [number, number[]][] = [], xid = 0x12345678, ciaddr = 0): Uint8Array {
  const b = new Uint8Array(Math.max(300, 244 + options.reduce((n, [, v]) => n + 2 + v.length, 0)));
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  new DataView(b.buffer).setUint32(4, xid);
  new DataView(b.buffer).setUint32(12, ciaddr);
  b.set(mac, 28);
  b.set([0x63, 0x82, 0x53, 0x63], 236);
  let at = 240;
  b.set([53, 1, type], at);
  at += 3;
  for (const [code, value] of options) {
    b[at++] = code;
    b[at++] = value.length;
    b.set(value, at);
    at += value.length;
  }
  b[at] = 255;
  return b;
}

export function udpFrame(srcMac: Uint8Array, dstMac: Uint8Array, src: number, dst: number, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return ethernetFrame(dstMac, srcMac, ETHERTYPE_IPV4, buildUdp(src, dst, sport, dport, payload));
}

export function dhcpFrame(mac: Uint8Array, message: Uint8Array, ciaddr = 0): Uint8Array {
  return udpFrame(mac, BROADCAST_MAC, ciaddr, 0xffffffff, 68, 67, message);
}

export function arpRequest(mac: Uint8Array, senderIp: number, targetIp: number): Uint8Array {
  const p = new Uint8Array(28);
  p.set([0, 1, 8, 0, 6, 4, 0, 1]);
  p.set(mac, 8);
  new DataView(p.buffer).setUint32(14, senderIp);
  new DataView(p.buffer).setUint32(24, targetIp);
  return ethernetFrame(BROADCAST_MAC, mac, ETHERTYPE_ARP, p);
}

export function echoRequest(srcMac: Uint8Array, dstMac: Uint8Array, src: number, dst: number, seq: number, reply = false): Uint8Array {
  const icmp = new Uint8Array(64);
  icmp[0] = reply ? 0 : 8;
  icmp[4] = 0x12;
  icmp[5] = 0x34;
  icmp[7] = seq;
  for (let i = 8; i < 64; i++) icmp[i] = i;
  const sum = internetChecksum(icmp);
  icmp[2] = sum >> 8;
  icmp[3] = sum & 0xff;
  return ethernetFrame(dstMac, srcMac, ETHERTYPE_IPV4, buildIpv4(src, dst, 1, icmp));
}

/** A DNS query for one name (type A unless given). */
export function dnsQuery(name: string, type = 1, id = 0xbeef): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]);
  return Uint8Array.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, type, 0, 1]);
}

/** A switch with a test host plugged in whose received frames are kept. */
export function testNetwork(now = () => 1_700_000_000_000) {
  const sw = new VirtualSwitch("lan", { now });
  const got: Uint8Array[] = [];
  const host = sw.attach({ name: "guest", deliver: (f) => (got.push(f.slice()), true) });
  /** Sends a frame from the host and returns what came back. */
  const exchange = (frame: Uint8Array): Uint8Array[] => {
    got.length = 0;
    host.send(frame);
    while (sw.pump() > 0);
    return got.slice();
  };
  return { sw, host, got, exchange };
}
