import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PacketCapture } from "../../src/hypervisor/net/packet-capture.ts";
import { SwitchServices } from "../../src/hypervisor/net/switch-services.ts";
import { arpRequest, dhcpFrame, dhcpRequest, dnsQuery, echoRequest, GATEWAY, GUEST_MAC, testNetwork, udpFrame } from "./net-fixtures.ts";

const GUEST_IP = (10 << 24) | (2 << 8) | 15;

describe("packet capture", () => {
  it("writes the classic pcap format: little-endian header, one record per frame", () => {
    const cap = new PacketCapture(10, 1 << 16, 100);
    cap.record(Uint8Array.from({ length: 60 }, (_, i) => i), 1_700_000_000_250.5);
    cap.record(new Uint8Array(150).fill(7), 1_700_000_001_000);
    const pcap = cap.toPcap();
    const v = new DataView(pcap.buffer);
    expect([...pcap.subarray(0, 4)]).toEqual([0xd4, 0xc3, 0xb2, 0xa1]);
    expect([v.getUint16(4, true), v.getUint16(6, true), v.getInt32(8, true), v.getUint32(16, true), v.getUint32(20, true)]).toEqual([2, 4, 0, 100, 1]);
    // First record: time, captured length 60, original length 60, then the bytes.
    expect([v.getUint32(24, true), v.getUint32(28, true), v.getUint32(32, true), v.getUint32(36, true)]).toEqual([1_700_000_000, 250_500, 60, 60]);
    expect([...pcap.subarray(40, 100)]).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Second: cut to the snap length of 100, original length kept.
    expect([v.getUint32(100, true), v.getUint32(104, true), v.getUint32(108, true), v.getUint32(112, true)]).toEqual([1_700_000_001, 0, 100, 150]);
    expect(pcap.length).toBe(24 + 16 + 60 + 16 + 100);
  });

  it("keeps only the most recent frames, bounded in count and bytes", () => {
    const cap = new PacketCapture(3, 4000, 1518);
    for (let i = 0; i < 10; i++) cap.record(new Uint8Array(100).fill(i), i);
    expect(cap.frames().map((f) => f.data[0])).toEqual([7, 8, 9]);
    for (let i = 0; i < 10; i++) cap.record(new Uint8Array(1500).fill(i), i);
    expect(cap.frames().map((f) => f.data[0])).toEqual([8, 9]);
    expect(cap.seen).toBe(20);
  });

  it("a capture of DHCP, ARP, DNS and a ping on the switch reads back in tcpdump with correct checksums", () => {
    const tcpdump = spawnSync("tcpdump", ["--version"]);
    if (tcpdump.error) throw new Error("tcpdump is not installed (apt-get install tcpdump): it is this test's oracle");
    let t = 1_700_000_000_000;
    const net = testNetwork(() => (t += 1));
    const services = new SwitchServices(net.sw);
    net.sw.capture = new PacketCapture();
    net.exchange(dhcpFrame(GUEST_MAC, dhcpRequest(GUEST_MAC, 1, [[12, [...Buffer.from("alpha")]]])));
    net.exchange(dhcpFrame(GUEST_MAC, dhcpRequest(GUEST_MAC, 3, [[50, [10, 0, 2, 15]], [12, [...Buffer.from("alpha")]]])));
    net.exchange(arpRequest(GUEST_MAC, GUEST_IP, GATEWAY));
    net.exchange(udpFrame(GUEST_MAC, services.mac, GUEST_IP, GATEWAY, 40000, 53, dnsQuery("alpha")));
    for (let seq = 1; seq <= 3; seq++) net.exchange(echoRequest(GUEST_MAC, services.mac, GUEST_IP, GATEWAY, seq));
    const dir = mkdtempSync(join(tmpdir(), "hypertab-pcap-"));
    const file = join(dir, "switch.pcap");
    writeFileSync(file, net.sw.capture.toPcap());
    const r = spawnSync("tcpdump", ["-nn", "-vv", "-r", file], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).not.toMatch(/bad cksum|bad udp cksum|truncated|malformed/i);
    expect(out).toMatch(/10\.0\.2\.2\.67 > 255\.255\.255\.255\.68: .*BOOTP\/DHCP, Reply/);
    expect(out).toMatch(/DHCP-Message \(53\), length 1: Offer/);
    expect(out).toMatch(/DHCP-Message \(53\), length 1: ACK/);
    expect(out).toMatch(/Your-IP 10\.0\.2\.15/);
    expect(out).toMatch(/ARP, Ethernet \(len 6\), IPv4 \(len 4\), Reply 10\.0\.2\.2 is-at 52:55:0a:00:02:02/);
    expect(out).toMatch(/10\.0\.2\.2\.53 > 10\.0\.2\.15\.40000: .*48879\*- q: A\? alpha\. 1\/0\/0 alpha\. A 10\.0\.2\.15/);
    expect(out.match(/10\.0\.2\.15 > 10\.0\.2\.2: ICMP echo request, id 4660, seq \d/g)?.length).toBe(3);
    expect(out.match(/10\.0\.2\.2 > 10\.0\.2\.15: ICMP echo reply, id 4660, seq \d/g)?.length).toBe(3);
  });
});
