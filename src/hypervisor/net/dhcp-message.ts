// DHCP messages (RFC 2131 over BOOTP, options from RFC 2132): the fixed 236-byte BOOTP part, the
// magic cookie and the options. Parsing is bounded and checks every field the server uses; a
// client's message that is not exactly right is refused with the reason.

import { readIp, writeIp } from "./ipv4.ts";

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

export const DhcpType = { DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8 } as const;

export const DhcpOption = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  BROADCAST: 28,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  END: 255,
} as const;

const BOOTP_FIXED = 236;
const COOKIE = 0x63825363;
/** The options area starts after the cookie. */
const OPTIONS_AT = BOOTP_FIXED + 4;
/** A client's message: at most what fits an Ethernet frame's UDP payload. */
export const MAX_DHCP_MESSAGE = 1500 - 20 - 8;
const MAX_OPTIONS = 64;
const BOOTREQUEST = 1;
const BOOTREPLY = 2;

export interface DhcpMessage {
  op: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  chaddr: Uint8Array;
  type: number;
  /** Option code → value (each code at most once). */
  options: Map<number, Uint8Array>;
}

/** Parses a client's message (BOOTREQUEST, Ethernet hardware addresses only). */
export function parseDhcpRequest(b: Uint8Array): DhcpMessage | string {
  if (b.length < OPTIONS_AT) return `DHCP message of ${b.length} bytes is shorter than ${OPTIONS_AT}`;
  if (b.length > MAX_DHCP_MESSAGE) return `DHCP message of ${b.length} bytes is longer than ${MAX_DHCP_MESSAGE}`;
  if (b[0] !== BOOTREQUEST) return `DHCP op ${b[0]} is not BOOTREQUEST`;
  if (b[1] !== 1 || b[2] !== 6) return `DHCP hardware type ${b[1]} / length ${b[2]} is not Ethernet (1 / 6)`;
  if (b[3] !== 0) return `DHCP hops ${b[3]}: relayed messages are not accepted`;
  if (readIp(b, BOOTP_FIXED) !== COOKIE) return "DHCP magic cookie is missing";
  const options = new Map<number, Uint8Array>();
  let at = OPTIONS_AT;
  let ended = false;
  while (at < b.length) {
    const code = b[at];
    if (code === DhcpOption.PAD) {
      at++;
      continue;
    }
    if (code === DhcpOption.END) {
      ended = true;
      break;
    }
    if (at + 1 >= b.length) return `DHCP option ${code} has no length byte`;
    const len = b[at + 1];
    if (at + 2 + len > b.length) return `DHCP option ${code} of length ${len} runs past the end of the message`;
    if (options.has(code)) return `DHCP option ${code} appears twice`;
    if (options.size >= MAX_OPTIONS) return `DHCP message has more than ${MAX_OPTIONS} options`;
    options.set(code, b.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  if (!ended) return "DHCP options have no end marker";
  const typeOpt = options.get(DhcpOption.MESSAGE_TYPE);
  if (!typeOpt || typeOpt.length !== 1) return "DHCP message type option (53) is missing or not 1 byte";
  const type = typeOpt[0];
  if (type < DhcpType.DISCOVER || type > DhcpType.INFORM) return `DHCP message type ${type} is unknown`;
  for (const code of [DhcpOption.REQUESTED_IP, DhcpOption.SERVER_ID]) {
    const v = options.get(code);
    if (v && v.length !== 4) return `DHCP option ${code} must be 4 bytes, got ${v.length}`;
  }
  return {
    op: b[0],
    xid: readIp(b, 4),
    secs: (b[8] << 8) | b[9],
    flags: (b[10] << 8) | b[11],
    ciaddr: readIp(b, 12),
    yiaddr: readIp(b, 16),
    siaddr: readIp(b, 20),
    giaddr: readIp(b, 24),
    chaddr: b.slice(28, 34),
    type,
    options,
  };
}

export interface DhcpReply {
  type: number;
  xid: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  chaddr: Uint8Array;
  /** In the order written. */
  options: [code: number, value: Uint8Array][];
}

/** A server's message (BOOTREPLY), padded to BOOTP's 300-byte minimum. */
export function buildDhcpReply(r: DhcpReply): Uint8Array {
  const optionBytes = r.options.reduce((n, [, v]) => n + 2 + v.length, 3 + 1);
  const b = new Uint8Array(Math.max(300, OPTIONS_AT + optionBytes));
  b[0] = BOOTREPLY;
  b[1] = 1;
  b[2] = 6;
  writeIp(b, 4, r.xid);
  b[10] = r.flags >> 8;
  b[11] = r.flags & 0xff;
  writeIp(b, 12, r.ciaddr);
  writeIp(b, 16, r.yiaddr);
  writeIp(b, 20, r.siaddr);
  b.set(r.chaddr.subarray(0, 6), 28);
  writeIp(b, BOOTP_FIXED, COOKIE);
  let at = OPTIONS_AT;
  b[at++] = DhcpOption.MESSAGE_TYPE;
  b[at++] = 1;
  b[at++] = r.type;
  for (const [code, value] of r.options) {
    if (value.length > 255) throw new RangeError(`DHCP option ${code} is ${value.length} bytes (at most 255)`);
    b[at++] = code;
    b[at++] = value.length;
    b.set(value, at);
    at += value.length;
  }
  b[at] = DhcpOption.END;
  return b;
}

/** A 32-bit value (an address, a time in seconds) as an option's 4 bytes. */
export function be32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  writeIp(b, 0, n >>> 0);
  return b;
}
