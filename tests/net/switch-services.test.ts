import { describe, expect, it } from "vitest";
import { formatMac } from "../../src/hypervisor/net/ethernet.ts";
import { internetChecksum, ipToString, parseIp } from "../../src/hypervisor/net/ipv4.ts";
import { SwitchServices } from "../../src/hypervisor/net/switch-services.ts";
import { arpRequest, dhcpFrame, dhcpRequest, dnsQuery, echoRequest, GATEWAY, GUEST_MAC, testNetwork, udpFrame } from "./net-fixtures.ts";

const GUEST_IP = parseIp("10.0.2.15");

function setup() {
  const net = testNetwork();
  const services = new SwitchServices(net.sw);
  // The guest "alpha" holds 10.0.2.15.
  net.exchange(dhcpFrame(GUEST_MAC, dhcpRequest(GUEST_MAC, 3, [[50, [10, 0, 2, 15]], [12, [...Buffer.from("alpha")]]])));
  const ask = (query: Uint8Array) => {
    const frames = net.exchange(udpFrame(GUEST_MAC, services.mac, GUEST_IP, GATEWAY, 40000, 53, query));
    return frames.map((f) => {
      const v = new DataView(f.buffer, f.byteOffset);
      const dns = f.subarray(42);
      return {
        from: `${ipToString(v.getUint32(26))}:${v.getUint16(34)}`,
        to: `${ipToString(v.getUint32(30))}:${v.getUint16(36)}`,
        id: (dns[0] << 8) | dns[1],
        qr: dns[2] >> 7,
        aa: (dns[2] >> 2) & 1,
        rcode: dns[3] & 0xf,
        answers: (dns[6] << 8) | dns[7],
        address: dns.length >= 4 ? [...dns.subarray(dns.length - 4)].join(".") : "",
      };
    });
  };
  return { ...net, services, ask };
}

describe("the switch's own host: ARP, ping, DNS", () => {
  it("answers ARP for its address only", () => {
    const { exchange, services } = setup();
    const [reply, ...more] = exchange(arpRequest(GUEST_MAC, GUEST_IP, GATEWAY));
    expect(more).toEqual([]);
    expect(formatMac(reply!.subarray(0, 6))).toBe(formatMac(GUEST_MAC));
    expect([reply![12], reply![13]]).toEqual([0x08, 0x06]);
    const arp = reply!.subarray(14);
    expect([arp[6], arp[7]]).toEqual([0, 2]);
    expect(formatMac(arp.subarray(8, 14))).toBe(formatMac(services.mac));
    expect([...arp.subarray(14, 18)].join(".")).toBe("10.0.2.2");
    expect([...arp.subarray(24, 28)].join(".")).toBe("10.0.2.15");
    expect(exchange(arpRequest(GUEST_MAC, GUEST_IP, parseIp("10.0.2.3")))).toEqual([]);
  });

  it("answers pings to its address with the same identifier, sequence and data", () => {
    const { exchange, services } = setup();
    const request = echoRequest(GUEST_MAC, services.mac, GUEST_IP, GATEWAY, 5);
    const [reply] = exchange(request);
    const ip = reply!.subarray(14);
    expect(internetChecksum(ip, 0, 20)).toBe(0);
    expect([...ip.subarray(12, 16)].join(".")).toBe("10.0.2.2");
    const icmp = ip.subarray(20);
    expect(icmp[0]).toBe(0);
    expect(internetChecksum(icmp)).toBe(0);
    expect([...icmp.subarray(4)]).toEqual([...request.subarray(34 + 4)]);
    // A corrupted echo request is refused.
    const bad = echoRequest(GUEST_MAC, services.mac, GUEST_IP, GATEWAY, 6);
    bad[60] ^= 0xff;
    expect(exchange(bad)).toEqual([]);
    expect(services.lastProblem).toMatch(/ICMP checksum/);
  });

  it("resolves leased host names (any case) to their addresses and nothing else", () => {
    const { ask } = setup();
    expect(ask(dnsQuery("alpha"))).toEqual([{ from: "10.0.2.2:53", to: "10.0.2.15:40000", id: 0xbeef, qr: 1, aa: 1, rcode: 0, answers: 1, address: "10.0.2.15" }]);
    expect(ask(dnsQuery("ALPHA"))[0]).toMatchObject({ rcode: 0, answers: 1, address: "10.0.2.15" });
    expect(ask(dnsQuery("beta"))[0]).toMatchObject({ rcode: 3, answers: 0 });
    expect(ask(dnsQuery("alpha.example.com"))[0]).toMatchObject({ rcode: 3, answers: 0 });
    // The name exists but has no AAAA record: NOERROR without answers.
    expect(ask(dnsQuery("alpha", 28))[0]).toMatchObject({ rcode: 0, answers: 0 });
  });

  it("answers malformed queries with FORMERR or NOTIMP and ignores responses", () => {
    const { ask, services } = setup();
    const q = dnsQuery("alpha");
    expect(ask(q.subarray(0, 15))[0]).toMatchObject({ rcode: 1, answers: 0 }); // name cut short
    expect(ask(Uint8Array.from(q, (b, i) => (i === 12 ? 0xc0 : b)))[0]).toMatchObject({ rcode: 1 }); // compression pointer
    expect(ask(Uint8Array.from(q, (b, i) => (i === 5 ? 2 : b)))[0]).toMatchObject({ rcode: 1 }); // two questions
    expect(ask(Uint8Array.from(q, (b, i) => (i === 2 ? 0x29 : b)))[0]).toMatchObject({ rcode: 4 }); // opcode 5 (UPDATE)
    const long = new Uint8Array(12 + 5 * 64 + 5);
    long.set(q.subarray(0, 12));
    for (let i = 0; i < 5; i++) long[12 + i * 64] = 63;
    expect(ask(long)[0]).toMatchObject({ rcode: 1 }); // name over 255 bytes
    expect(ask(Uint8Array.from(q, (b, i) => (i === 2 ? 0x81 : b)))).toEqual([]); // a response
    expect(ask(q.subarray(0, 8))).toEqual([]); // no full header
    expect(services.counters.refused).toBe(2);
  });
});
