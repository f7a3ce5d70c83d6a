// The switch's DHCP server (RFC 2131): hands each MAC an address of the switch's subnet, the
// switch itself as router and DNS server. One lease per MAC, kept across renewals; an address is
// reserved for 60 s after an OFFER. Names come from the client (option 12) or from the hypervisor
// (the VM's name, setName), and the DNS responder looks them up here.

import { formatMac } from "./ethernet.ts";
import { be32, DhcpOption, DhcpType, type DhcpMessage, type DhcpReply } from "./dhcp-message.ts";
import { ipToString, readIp } from "./ipv4.ts";

export interface Subnet {
  /** The switch's own address: router, DHCP and DNS server. */
  gateway: number;
  /** Network prefix length (8-30). */
  prefix: number;
  /** Pool of addresses handed out, inclusive. */
  first: number;
  last: number;
  leaseSeconds: number;
}

/** QEMU's user network's numbers, which guests and people know. */
export const DEFAULT_SUBNET: Subnet = { gateway: 0x0a000202, prefix: 24, first: 0x0a00020f, last: 0x0a0002fe, leaseSeconds: 3600 };

export interface Lease {
  mac: string;
  ip: string;
  /** The client's name (option 12) or the one the hypervisor registered; "" when none. */
  hostname: string;
  state: "offered" | "bound";
  /** Epoch ms. */
  expiresMs: number;
}

interface LeaseRecord {
  mac: string;
  ip: number;
  clientName: string;
  state: "offered" | "bound";
  expiresMs: number;
}

const OFFER_HOLD_MS = 60_000;
const MAX_NAMES = 1024;

/** A DNS label (RFC 1123 host name part): what a host name may be. */
export function isHostLabel(name: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(name);
}

export function subnetMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function validateSubnet(s: Subnet): void {
  if (!Number.isInteger(s.prefix) || s.prefix < 8 || s.prefix > 30) throw new RangeError(`subnet prefix must be 8-30, got ${s.prefix}`);
  const mask = subnetMask(s.prefix);
  const net = (s.gateway & mask) >>> 0;
  for (const [what, ip] of [["first", s.first], ["last", s.last]] as const) {
    if (((ip & mask) >>> 0) !== net) throw new RangeError(`DHCP pool ${what} address ${ipToString(ip)} is outside ${ipToString(net)}/${s.prefix}`);
  }
  if (s.first > s.last) throw new RangeError(`DHCP pool starts at ${ipToString(s.first)} after its end ${ipToString(s.last)}`);
  if (!(s.leaseSeconds >= 60 && s.leaseSeconds <= 86400 * 7)) throw new RangeError(`lease time must be 60 s to 7 days, got ${s.leaseSeconds}`);
}

export class DhcpServer {
  private readonly byMac = new Map<string, LeaseRecord>();
  private readonly byIp = new Map<number, LeaseRecord>();
  /** Names the hypervisor registered per MAC (the VM's name). */
  private readonly names = new Map<string, string>();
  readonly mask: number;
  readonly broadcast: number;

  constructor(
    readonly subnet: Subnet = DEFAULT_SUBNET,
    private readonly now: () => number = () => Date.now(),
  ) {
    validateSubnet(subnet);
    this.mask = subnetMask(subnet.prefix);
    this.broadcast = ((subnet.gateway & this.mask) | ~this.mask) >>> 0;
  }

  /** Registers the name DNS answers for a MAC (the hypervisor does so with the VM's name). */
  setName(mac: Uint8Array, name: string | null): void {
    const key = formatMac(mac);
    if (name === null) {
      this.names.delete(key);
      return;
    }
    if (!isHostLabel(name)) throw new RangeError(`"${name}" is not a host name (letters, digits and "-", at most 63)`);
    if (!this.names.has(key) && this.names.size >= MAX_NAMES) throw new RangeError(`at most ${MAX_NAMES} names per network`);
    this.names.set(key, name.toLowerCase());
  }

  private hostname(r: LeaseRecord): string {
    return this.names.get(r.mac) ?? r.clientName;
  }

  private expire(now: number): void {
    for (const [mac, r] of this.byMac) {
      if (r.expiresMs <= now) {
        this.byMac.delete(mac);
        this.byIp.delete(r.ip);
      }
    }
  }

  leases(): Lease[] {
    this.expire(this.now());
    return [...this.byMac.values()].map((r) => ({ mac: r.mac, ip: ipToString(r.ip), hostname: this.hostname(r), state: r.state, expiresMs: r.expiresMs }));
  }

  /** The address leased under `name` (case-insensitive), or null. */
  lookupName(name: string): number | null {
    const wanted = name.toLowerCase();
    const now = this.now();
    for (const r of this.byMac.values()) if (r.state === "bound" && r.expiresMs > now && this.hostname(r) === wanted) return r.ip;
    return null;
  }

  private inPool(ip: number): boolean {
    return ip >= this.subnet.first && ip <= this.subnet.last && ip !== this.subnet.gateway;
  }

  private pick(mac: string, requested: number | null): number | null {
    const own = this.byMac.get(mac);
    if (own) return own.ip;
    if (requested !== null && this.inPool(requested) && !this.byIp.has(requested)) return requested;
    for (let ip = this.subnet.first; ip <= this.subnet.last; ip++) if (this.inPool(ip) && !this.byIp.has(ip)) return ip;
    return null;
  }

  private bind(mac: string, ip: number, state: LeaseRecord["state"], clientName: string, ms: number): void {
    const old = this.byMac.get(mac);
    if (old && old.ip !== ip) this.byIp.delete(old.ip);
    const r: LeaseRecord = { mac, ip, clientName, state, expiresMs: this.now() + ms };
    this.byMac.set(mac, r);
    this.byIp.set(ip, r);
  }

  private release(mac: string): void {
    const r = this.byMac.get(mac);
    if (!r) return;
    this.byMac.delete(mac);
    this.byIp.delete(r.ip);
  }

  private replyOptions(): [number, Uint8Array][] {
    const s = this.subnet;
    return [
      [DhcpOption.SERVER_ID, be32(s.gateway)],
      [DhcpOption.LEASE_TIME, be32(s.leaseSeconds)],
      [DhcpOption.RENEWAL_TIME, be32(Math.floor(s.leaseSeconds / 2))],
      [DhcpOption.REBINDING_TIME, be32(Math.floor((s.leaseSeconds * 7) / 8))],
      [DhcpOption.SUBNET_MASK, be32(this.mask)],
      [DhcpOption.BROADCAST, be32(this.broadcast)],
      [DhcpOption.ROUTER, be32(s.gateway)],
      [DhcpOption.DNS, be32(s.gateway)],
    ];
  }

  /** Answers a client's message (already parsed and checked, sent from `sourceMac`); null = no
   *  answer (not for us, or nothing to say). */
  handle(m: DhcpMessage, sourceMac: Uint8Array): DhcpReply | null {
    const mac = formatMac(m.chaddr);
    // A guest speaks for its own NIC only.
    if (mac !== formatMac(sourceMac)) return null;
    const now = this.now();
    this.expire(now);
    const server = m.options.get(DhcpOption.SERVER_ID);
    const serverId = server ? readIp(server, 0) : null;
    const req = m.options.get(DhcpOption.REQUESTED_IP);
    const requested = req ? readIp(req, 0) : null;
    const nameBytes = m.options.get(DhcpOption.HOSTNAME);
    const nameText = nameBytes ? String.fromCharCode(...nameBytes) : "";
    const clientName = isHostLabel(nameText) ? nameText.toLowerCase() : (this.byMac.get(mac)?.clientName ?? "");
    const answer = (type: number, yiaddr: number, options = this.replyOptions()): DhcpReply => ({
      type,
      xid: m.xid,
      flags: m.flags,
      ciaddr: m.ciaddr,
      yiaddr,
      siaddr: this.subnet.gateway,
      chaddr: m.chaddr,
      options,
    });
    switch (m.type) {
      case DhcpType.DISCOVER: {
        const ip = this.pick(mac, requested);
        if (ip === null) return null; // pool exhausted: stay silent, as RFC 2131 allows
        const current = this.byMac.get(mac);
        if (current?.state !== "bound") this.bind(mac, ip, "offered", clientName, OFFER_HOLD_MS);
        return answer(DhcpType.OFFER, ip);
      }
      case DhcpType.REQUEST: {
        if (serverId !== null && serverId !== this.subnet.gateway) {
          // The client took another server's offer.
          if (this.byMac.get(mac)?.state === "offered") this.release(mac);
          return null;
        }
        // SELECTING / INIT-REBOOT carry option 50; RENEWING / REBINDING carry ciaddr.
        const wanted = requested ?? m.ciaddr;
        const own = this.byMac.get(mac);
        const free = !this.byIp.has(wanted) || this.byIp.get(wanted) === own;
        if (wanted === 0 || !this.inPool(wanted) || !free || (own && own.ip !== wanted)) {
          return answer(DhcpType.NAK, 0, [[DhcpOption.SERVER_ID, be32(this.subnet.gateway)]]);
        }
        this.bind(mac, wanted, "bound", clientName, this.subnet.leaseSeconds * 1000);
        return answer(DhcpType.ACK, wanted);
      }
      case DhcpType.RELEASE:
      case DhcpType.DECLINE:
        if (serverId === this.subnet.gateway) this.release(mac);
        return null;
      case DhcpType.INFORM:
        return answer(
          DhcpType.ACK,
          0,
          this.replyOptions().filter(([code]) => code !== DhcpOption.LEASE_TIME && code !== DhcpOption.RENEWAL_TIME && code !== DhcpOption.REBINDING_TIME),
        );
      default:
        return null;
    }
  }
}
