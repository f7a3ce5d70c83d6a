// IPv4 and UDP packets as the switch's own services (DHCP, DNS, ping) read and write them
// (RFC 791, RFC 768). Addresses are unsigned 32-bit numbers. Parsers return a problem string for
// anything malformed: a guest's packet is never trusted.

export const IP_PROTO_ICMP = 1;
export const IP_PROTO_UDP = 17;
export const IPV4_BROADCAST = 0xffffffff;
const IP_HEADER = 20;
const UDP_HEADER = 8;

export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

export function parseIp(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  const parts = m?.slice(1, 5).map(Number);
  if (!parts || parts.some((p) => p > 255)) throw new RangeError(`not an IPv4 address: "${text}"`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function readIp(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function writeIp(b: Uint8Array, at: number, ip: number): void {
  b[at] = ip >>> 24;
  b[at + 1] = (ip >>> 16) & 0xff;
  b[at + 2] = (ip >>> 8) & 0xff;
  b[at + 3] = ip & 0xff;
}

/** The Internet checksum's one's-complement sum of b[start, end), folded, not inverted. */
function onesSum(b: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Internet checksum (RFC 1071) of b[start, end): 0 over data that carries a correct one. */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  return ~onesSum(b, start, end, initial) & 0xffff;
}

export interface Ipv4Packet {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  /** The payload (a view into the frame). */
  payload: Uint8Array;
}

/** Parses an IPv4 packet; fragments are refused (none of the services needs them). */
export function parseIpv4(packet: Uint8Array): Ipv4Packet | string {
  if (packet.length < IP_HEADER) return `IPv4 packet of ${packet.length} bytes is shorter than a header`;
  const version = packet[0] >> 4;
  const ihl = (packet[0] & 0xf) * 4;
  if (version !== 4) return `IP version ${version} is not 4`;
  if (ihl < IP_HEADER || ihl > packet.length) return `IPv4 header length ${ihl} is invalid for a ${packet.length}-byte packet`;
  const total = (packet[2] << 8) | packet[3];
  if (total < ihl || total > packet.length) return `IPv4 total length ${total} does not fit the ${packet.length} bytes received`;
  if (internetChecksum(packet, 0, ihl) !== 0) return "IPv4 header checksum is wrong";
  const fragment = ((packet[6] << 8) | packet[7]) & 0x3fff;
  if (fragment !== 0) return "IPv4 fragments are not accepted";
  return { src: readIp(packet, 12), dst: readIp(packet, 16), protocol: packet[9], ttl: packet[8], payload: packet.subarray(ihl, total) };
}

let nextId = 1;

export function buildIpv4(src: number, dst: number, protocol: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(IP_HEADER + payload.length);
  p[0] = 0x45;
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  const id = nextId++ & 0xffff;
  p[4] = id >> 8;
  p[5] = id & 0xff;
  p[6] = 0x40; // don't fragment
  p[8] = 64;
  p[9] = protocol;
  writeIp(p, 12, src);
  writeIp(p, 16, dst);
  const sum = internetChecksum(p, 0, IP_HEADER);
  p[10] = sum >> 8;
  p[11] = sum & 0xff;
  p.set(payload, IP_HEADER);
  return p;
}

/** The pseudo-header sum UDP's checksum starts from. */
function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export function parseUdp(ip: Ipv4Packet): UdpDatagram | string {
  const u = ip.payload;
  if (u.length < UDP_HEADER) return `UDP datagram of ${u.length} bytes is shorter than a header`;
  const length = (u[4] << 8) | u[5];
  if (length < UDP_HEADER || length > u.length) return `UDP length ${length} does not fit the ${u.length} bytes received`;
  const sum = (u[6] << 8) | u[7];
  if (sum !== 0 && internetChecksum(u, 0, length, pseudoHeaderSum(ip.src, ip.dst, IP_PROTO_UDP, length)) !== 0) return "UDP checksum is wrong";
  return { srcPort: (u[0] << 8) | u[1], dstPort: (u[2] << 8) | u[3], payload: u.subarray(UDP_HEADER, length) };
}

/** An IPv4 packet carrying a UDP datagram (with its checksum). */
export function buildUdp(src: number, dst: number, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const u = new Uint8Array(UDP_HEADER + payload.length);
  u[0] = srcPort >> 8;
  u[1] = srcPort & 0xff;
  u[2] = dstPort >> 8;
  u[3] = dstPort & 0xff;
  u[4] = u.length >> 8;
  u[5] = u.length & 0xff;
  u.set(payload, UDP_HEADER);
  const sum = internetChecksum(u, 0, u.length, pseudoHeaderSum(src, dst, IP_PROTO_UDP, u.length)) || 0xffff;
  u[6] = sum >> 8;
  u[7] = sum & 0xff;
  return buildIpv4(src, dst, IP_PROTO_UDP, u);
}
