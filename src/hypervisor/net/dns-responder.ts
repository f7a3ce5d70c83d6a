// The switch's DNS responder (RFC 1035): A records for the names of the VMs on its network (from
// their DHCP leases), NXDOMAIN for any other name. It does not recurse. Queries are parsed with
// bounds on every length; a malformed one gets FORMERR, other opcodes NOTIMP.

import { writeIp } from "./ipv4.ts";

const HEADER = 12;
const MAX_NAME = 255;
const TYPE_A = 1;
const TYPE_ANY = 255;
const CLASS_IN = 1;
const ANSWER_TTL = 60;

export const DnsRcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsQuestion {
  name: string;
  type: number;
  klass: number;
  /** Where the question ends in the query. */
  end: number;
}

/** Reads the single question of a query; a problem string when malformed. Compression pointers
 *  are refused (a query has nothing earlier to point at). */
export function parseQuestion(q: Uint8Array): DnsQuestion | string {
  let at = HEADER;
  const labels: string[] = [];
  let length = 0;
  for (;;) {
    if (at >= q.length) return "DNS name runs past the end of the query";
    const len = q[at++];
    if (len === 0) break;
    if (len > 63) return `DNS label length byte ${len} (compression or over 63) in a question`;
    length += len + 1;
    if (length > MAX_NAME) return `DNS name longer than ${MAX_NAME} bytes`;
    if (at + len > q.length) return "DNS label runs past the end of the query";
    labels.push(String.fromCharCode(...q.subarray(at, at + len)));
    at += len;
  }
  if (at + 4 > q.length) return "DNS question has no type and class";
  return { name: labels.join(".").toLowerCase(), type: (q[at] << 8) | q[at + 1], klass: (q[at + 2] << 8) | q[at + 3], end: at + 4 };
}

/** The response to a query, or null when it gets none (too short to carry an ID, or a response). */
export function answerDnsQuery(query: Uint8Array, lookup: (name: string) => number | null): Uint8Array | null {
  if (query.length < HEADER) return null;
  const flags = (query[2] << 8) | query[3];
  if (flags & 0x8000) return null; // a response: never answer those (loops)
  const opcode = (flags >> 11) & 0xf;
  const rd = flags & 0x0100;
  const qdcount = (query[4] << 8) | query[5];
  const reply = (rcode: number, question: Uint8Array | null, answer: Uint8Array | null): Uint8Array => {
    const out = new Uint8Array(HEADER + (question?.length ?? 0) + (answer?.length ?? 0));
    out[0] = query[0];
    out[1] = query[1];
    const f = 0x8000 | (opcode << 11) | 0x0400 /* AA */ | rd | rcode;
    out[2] = f >> 8;
    out[3] = f & 0xff;
    out[5] = question ? 1 : 0;
    out[7] = answer ? 1 : 0;
    if (question) out.set(question, HEADER);
    if (answer) out.set(answer, HEADER + question!.length);
    return out;
  };
  if (opcode !== 0) return reply(DnsRcode.NOTIMP, null, null);
  if (qdcount !== 1) return reply(DnsRcode.FORMERR, null, null);
  const q = parseQuestion(query);
  if (typeof q === "string") return reply(DnsRcode.FORMERR, null, null);
  const question = query.slice(HEADER, q.end);
  if (q.klass !== CLASS_IN) return reply(DnsRcode.NOTIMP, question, null);
  const ip = q.name === "" ? null : lookup(q.name);
  if (ip === null) return reply(DnsRcode.NXDOMAIN, question, null);
  // The name exists: other types get an empty answer (NODATA), not NXDOMAIN.
  if (q.type !== TYPE_A && q.type !== TYPE_ANY) return reply(DnsRcode.NOERROR, question, null);
  const a = new Uint8Array(16);
  a[0] = 0xc0; // pointer to the question's name
  a[1] = HEADER;
  a[3] = TYPE_A;
  a[5] = CLASS_IN;
  a[9] = ANSWER_TTL;
  a[11] = 4;
  writeIp(a, 12, ip);
  return reply(DnsRcode.NOERROR, question, a);
}
