import { describe, expect, it } from "vitest";
import { formatMac, parseMac } from "../../src/hypervisor/net/ethernet.ts";
import { ipToString, parseIp } from "../../src/hypervisor/net/ipv4.ts";
import { SwitchServices } from "../../src/hypervisor/net/switch-services.ts";
import { dhcpFrame, dhcpRequest, GATEWAY, GUEST_MAC, testNetwork, udpFrame } from "./net-fixtures.ts";

const DISCOVER = 1, OFFER = 2, REQUEST = 3, ACK = 5, NAK = 6, RELEASE = 7;

/** Reads a DHCP reply frame (Ethernet + IPv4 without options + UDP + BOOTP). */
function readReply(frame: Uint8Array) {
  const v = new DataView(frame.buffer, frame.byteOffset);
  const ip = 14, udp = 34, bootp = 42;
  const options = new Map<number, number[]>();
  for (let at = bootp + 240; frame[at] !== 255; at += 2 + frame[at + 1]) options.set(frame[at], [...frame.subarray(at + 2, at + 2 + frame[at + 1])]);
  return {
    dstMac: formatMac(frame.subarray(0, 6)),
    srcIp: ipToString(v.getUint32(ip + 12)),
    dstIp: ipToString(v.getUint32(ip + 16)),
    ports: [v.getUint16(udp), v.getUint16(udp + 2)],
    op: frame[bootp],
    xid: v.getUint32(bootp + 4),
    yiaddr: ipToString(v.getUint32(bootp + 16)),
    chaddr: formatMac(frame.subarray(bootp + 28, bootp + 34)),
    type: options.get(53)?.[0],
    option: (code: number) => options.get(code),
  };
}
const ipOf = (bytes: number[] | undefined) => (bytes ? bytes.join(".") : undefined);

function setup() {
  const net = testNetwork();
  const services = new SwitchServices(net.sw);
  return { ...net, services };
}

describe("the switch's DHCP server", () => {
  it("runs DISCOVER/OFFER/REQUEST/ACK and keeps the lease with the client's host name", () => {
    const { exchange, services } = setup();
    const [offerFrame, ...rest] = exchange(dhcpFrame(GUEST_MAC, dhcpRequest(GUEST_MAC, DISCOVER, [[12, [...Buffer.from("alpha")]]])));
    expect(rest).toEqual([]);
    const offer = readReply(offerFrame!);
    expect(offer).toMatchObject({ dstMac: "ff:ff:ff:ff:ff:ff", srcIp: "10.0.2.2", dstIp: "255.255.255.255", ports: [67, 68], op: 2, xid: 0x12345678, yiaddr: "10.0.2.15", type: OFFER, chaddr: formatMac(GUEST_MAC) });
    expect(ipOf(offer.option(54))).toBe("10.0.2.2");
    expect(ipOf(offer.option(1))).toBe("255.255.255.0");
    expect(ipOf(offer.option(3))).toBe("10.0.2.2");
    expect(ipOf(offer.option(6))).toBe("10.0.2.2");
    expect(offer.option(51)).toEqual([0, 0, 0x0e, 0x10]); // 3600 s
    expect(services.dhcp.leases()).toMatchObject([{ ip: "10.0.2.15", state: "offered", hostname: "alpha" }]);

    const [ackFrame] = exchange(dhcpFrame(GUEST_MAC, dhcpRequest(GUEST_MAC, REQUEST, [[50, [10, 0, 2, 15]], [54, [10, 0, 2, 2]], [12, [...Buffer.from("alpha")]]])));
    const ack = readReply(ackFrame!);
    expect(ack).toMatchObject({ type: ACK, yiaddr: "10.0.2.15" });
    expect(services.dhcp.leases()).toMatchObject([{ mac: formatMac(GUEST_MAC), ip: "10.0.2.15", state: "bound", hostname: "alpha" }]);
    expect(services.counters.dhcpReplies).toBe(2);

    // Renewal: the client has its address and asks by unicast; the answer is unicast too.
    const renew = udpFrame(GUEST_MAC, services.mac, parseIp("10.0.2.15"), GATEWAY, 68, 67, dhcpRequest(GUEST_MAC, REQUEST, [], 7, parseIp("10.0.2.15")));
    const renewed = readReply(exchange(renew)[0]!);
    expect(renewed).toMatchObject({ type: ACK, yiaddr: "10.0.2.15", dstIp: "10.0.2.15", dstMac: formatMac(GUEST_MAC), xid: 7 });
  });

  it("gives different MACs different addresses, NAKs a taken address, frees a released one", () => {
    const { exchange, services } = setup();
    const other = parseMac("02:42:00:00:00:02");
    const bind = (mac: Uint8Array, ip: number[]) => readReply(exchange(dhcpFrame(mac, dhcpRequest(mac, REQUEST, [[50, ip]])))[0]!);
    const offer2 = readReply(exchange(dhcpFrame(other, dhcpRequest(other, DISCOVER)))[0]!);
    expect(offer2.yiaddr).toBe("10.0.2.15");
    expect(bind(other, [10, 0, 2, 15]).type).toBe(ACK);
    expect(readReply(exchange(dhcpFrame(GUEST_MAC, dhcpRequest(GUEST_MAC, DISCOVER)))[0]!).yiaddr).toBe("10.0.2.16");
    // The guest asks for the other's address (INIT-REBOOT with a stale address): NAK.
    expect(bind(GUEST_MAC, [10, 0, 2, 15]).type).toBe(NAK);
    // Outside the pool: NAK.
    expect(bind(GUEST_MAC, [192, 168, 1, 5]).type).toBe(NAK);
    expect(bind(GUEST_MAC, [10, 0, 2, 16]).type).toBe(ACK);
    exchange(dhcpFrame(other, dhcpRequest(other, RELEASE, [[54, [10, 0, 2, 2]]])));
    expect(services.dhcp.leases().map((l) => l.ip)).toEqual(["10.0.2.16"]);
  });

  it("stays silent when the client chose another server's offer", () => {
    const { exchange, services } = setup();
    exchange(dhcpFrame(GUEST_MAC, dhcpRequest(GUEST_MAC, DISCOVER)));
    expect(exchange(dhcpFrame(GUEST_MAC, dhcpRequest(GUEST_MAC, REQUEST, [[50, [10, 0, 2, 15]], [54, [10, 0, 2, 99]]])))).toEqual([]);
    expect(services.dhcp.leases()).toEqual([]);
  });

  it("lets the hypervisor name a MAC (the VM's name) over the client's option 12", () => {
    const { exchange, services } = setup();
    services.dhcp.setName(GUEST_MAC, "Web-1");
    exchange(dhcpFrame(GUEST_MAC, dhcpRequest(GUEST_MAC, REQUEST, [[50, [10, 0, 2, 20]], [12, [...Buffer.from("client")]]])));
    expect(services.dhcp.leases()).toMatchObject([{ ip: "10.0.2.20", hostname: "web-1" }]);
    expect(() => services.dhcp.setName(GUEST_MAC, "no spaces")).toThrow(/not a host name/);
  });

  it("refuses malformed messages with the reason and never answers them", () => {
    const setupHost = setup();
    const { exchange, services } = setupHost;
    const good = dhcpRequest(GUEST_MAC, DISCOVER);
    const cases: [string, Uint8Array, RegExp][] = [
      ["truncated", good.subarray(0, 200), /shorter than 240/],
      ["reply op", Uint8Array.from(good, (b, i) => (i === 0 ? 2 : b)), /not BOOTREQUEST/],
      ["hlen 16", Uint8Array.from(good, (b, i) => (i === 2 ? 16 : b)), /not Ethernet/],
      ["relayed", Uint8Array.from(good, (b, i) => (i === 3 ? 1 : b)), /relayed/],
      ["no cookie", Uint8Array.from(good, (b, i) => (i === 236 ? 0 : b)), /magic cookie/],
      ["option past the end", (() => { const b = good.slice(0, 246); b.set([12, 200, 65], 243); return b; })(), /runs past the end/],
      ["no end marker", (() => { const b = good.slice(0, 243); return b; })(), /no end marker/],
      ["duplicate option", dhcpRequest(GUEST_MAC, DISCOVER, [[12, [65]], [12, [66]]]), /appears twice/],
      ["no type", (() => { const b = good.slice(); b[240] = 0; b[241] = 0; b[242] = 0; return b; })(), /type option \(53\) is missing/],
      ["unknown type", dhcpRequest(GUEST_MAC, 42), /type 42 is unknown/],
      ["short requested IP", dhcpRequest(GUEST_MAC, REQUEST, [[50, [10, 0, 2]]]), /option 50 must be 4 bytes/],
      ["too many options", dhcpRequest(GUEST_MAC, DISCOVER, Array.from({ length: 70 }, (_, i) => [100 + i, [1]] as [number, number[]])), /more than 64 options/],
    ];
    for (const [what, message, problem] of cases) {
      const before = services.counters.refused;
      expect(exchange(dhcpFrame(GUEST_MAC, message)), what).toEqual([]);
      expect(services.counters.refused, what).toBe(before + 1);
      expect(services.lastProblem, what).toMatch(problem);
    }
    // A message too long for one frame never gets past the guest's switch port.
    const { host } = setupHost;
    expect(exchange(dhcpFrame(GUEST_MAC, Uint8Array.from({ length: 1473 }, (_, i) => good[i] ?? 0)))).toEqual([]);
    expect(host.lastProblem).toMatch(/oversized frame of 1515 bytes/);
    // A guest cannot ask for another NIC's address: chaddr must be its own MAC.
    expect(exchange(dhcpFrame(GUEST_MAC, dhcpRequest(parseMac("02:00:00:00:00:99"), DISCOVER)))).toEqual([]);
    expect(services.dhcp.leases()).toEqual([]);
  });

  it("keeps the pool bounded: no offers once every address is taken", () => {
    const net = testNetwork();
    const services = new SwitchServices(net.sw, { gateway: parseIp("10.9.0.1"), prefix: 29, first: parseIp("10.9.0.2"), last: parseIp("10.9.0.4"), leaseSeconds: 600 });
    const offers = Array.from({ length: 5 }, (_, i) => {
      const mac = parseMac(`02:00:00:00:01:0${i}`);
      return net.exchange(dhcpFrame(mac, dhcpRequest(mac, DISCOVER))).map((f) => readReply(f).yiaddr);
    });
    expect(offers).toEqual([["10.9.0.2"], ["10.9.0.3"], ["10.9.0.4"], [], []]);
    expect(services.dhcp.leases().length).toBe(3);
  });
});
