// The switch's own host on its network (at the subnet's gateway address, 10.0.2.2 by default): it
// answers ARP for that address, pings to it, DHCP (dhcp-server.ts) and DNS for the VMs' names
// (dns-responder.ts). It is plugged into the switch as one more port, so its replies are switched,
// counted and captured like any VM's frames. Everything a guest sends it is checked; what is
// malformed is counted and ignored.

import { ARP_REPLY, ARP_REQUEST, buildArp, parseArp } from "./arp.ts";
import { buildDhcpReply, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, parseDhcpRequest } from "./dhcp-message.ts";
import { DEFAULT_SUBNET, DhcpServer, type Subnet } from "./dhcp-server.ts";
import { answerDnsQuery } from "./dns-responder.ts";
import { BROADCAST_MAC, ETH_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV4, etherType, ethernetFrame, isGroupAddress, parseMac, sameMac, type Mac } from "./ethernet.ts";
import { buildIpv4, buildUdp, internetChecksum, IP_PROTO_ICMP, IP_PROTO_UDP, IPV4_BROADCAST, parseIpv4, parseUdp } from "./ipv4.ts";
import type { SwitchPort, VirtualSwitch } from "./virtual-switch.ts";

/** QEMU's user-network gateway MAC (locally administered). */
export const DEFAULT_GATEWAY_MAC = "52:55:0a:00:02:02";
const DNS_PORT = 53;
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;

export interface ServiceCounters {
  arpReplies: number;
  pingReplies: number;
  dhcpReplies: number;
  dnsReplies: number;
  /** Frames for this host that were malformed (see lastProblem). */
  refused: number;
}

export class SwitchServices {
  readonly mac: Mac;
  readonly ip: number;
  readonly dhcp: DhcpServer;
  readonly port: SwitchPort;
  readonly counters: ServiceCounters = { arpReplies: 0, pingReplies: 0, dhcpReplies: 0, dnsReplies: 0, refused: 0 };
  lastProblem = "";

  constructor(sw: VirtualSwitch, subnet: Subnet = DEFAULT_SUBNET, mac: string = DEFAULT_GATEWAY_MAC) {
    this.mac = parseMac(mac);
    this.ip = subnet.gateway;
    this.dhcp = new DhcpServer(subnet, sw.now);
    this.port = sw.attach({ name: "switch", deliver: (f) => (this.receive(f), true) });
  }

  private refuse(problem: string): void {
    this.counters.refused++;
    this.lastProblem = problem;
  }

  private send(dst: Mac, type: number, payload: Uint8Array): void {
    this.port.send(ethernetFrame(dst, this.mac, type, payload));
  }

  /** A frame the switch delivered to this host. */
  receive(frame: Uint8Array): void {
    const toUs = sameMac(frame, 0, this.mac);
    if (!toUs && !isGroupAddress(frame, 0)) return; // flooded unicast for someone else
    const src = frame.slice(6, 12);
    const payload = frame.subarray(ETH_HEADER);
    const type = etherType(frame);
    if (type === ETHERTYPE_ARP) this.arp(payload);
    else if (type === ETHERTYPE_IPV4) this.ipv4(src, payload);
  }

  private arp(p: Uint8Array): void {
    const a = parseArp(p);
    if (typeof a === "string") return this.refuse(a);
    if (a.op !== ARP_REQUEST || a.targetIp !== this.ip) return;
    this.counters.arpReplies++;
    this.send(a.senderMac, ETHERTYPE_ARP, buildArp({ op: ARP_REPLY, senderMac: this.mac, senderIp: this.ip, targetMac: a.senderMac, targetIp: a.senderIp }));
  }

  private ipv4(src: Mac, p: Uint8Array): void {
    const ip = parseIpv4(p);
    if (typeof ip === "string") return this.refuse(ip);
    const forUs = ip.dst === this.ip;
    if (!forUs && ip.dst !== IPV4_BROADCAST && ip.dst !== this.dhcp.broadcast) return;
    if (ip.protocol === IP_PROTO_ICMP && forUs) return this.ping(src, ip.src, ip.payload);
    if (ip.protocol !== IP_PROTO_UDP) return;
    const udp = parseUdp(ip);
    if (typeof udp === "string") return this.refuse(udp);
    if (udp.dstPort === DHCP_SERVER_PORT && udp.srcPort === DHCP_CLIENT_PORT) {
      const m = parseDhcpRequest(udp.payload);
      if (typeof m === "string") return this.refuse(m);
      const reply = this.dhcp.handle(m, src);
      if (!reply) return;
      this.counters.dhcpReplies++;
      // A client that has an address (renewing) gets a unicast; one that has none, a broadcast.
      const [dstMac, dstIp] = m.ciaddr !== 0 ? [src, m.ciaddr] : [BROADCAST_MAC, IPV4_BROADCAST];
      this.send(dstMac, ETHERTYPE_IPV4, buildUdp(this.ip, dstIp, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, buildDhcpReply(reply)));
    } else if (udp.dstPort === DNS_PORT && forUs) {
      const answer = answerDnsQuery(udp.payload, (name) => this.dhcp.lookupName(name));
      if (!answer) return this.refuse("DNS message that is not a query");
      this.counters.dnsReplies++;
      this.send(src, ETHERTYPE_IPV4, buildUdp(this.ip, ip.src, DNS_PORT, udp.srcPort, answer));
    }
  }

  private ping(src: Mac, from: number, icmp: Uint8Array): void {
    if (icmp.length < 8) return this.refuse(`ICMP message of ${icmp.length} bytes`);
    if (internetChecksum(icmp) !== 0) return this.refuse("ICMP checksum is wrong");
    if (icmp[0] !== ICMP_ECHO_REQUEST || icmp[1] !== 0) return;
    const reply = icmp.slice();
    reply[0] = ICMP_ECHO_REPLY;
    reply[2] = reply[3] = 0;
    const sum = internetChecksum(reply);
    reply[2] = sum >> 8;
    reply[3] = sum & 0xff;
    this.counters.pingReplies++;
    this.send(src, ETHERTYPE_IPV4, buildIpv4(this.ip, from, IP_PROTO_ICMP, reply));
  }
}
