import { describe, expect, it } from "vitest";
import { BROADCAST_MAC, ETHERTYPE_IPV4, ethernetFrame, formatMac, parseMac } from "../../src/hypervisor/net/ethernet.ts";
import { GuestNicLink, type NicEnd } from "../../src/hypervisor/net/guest-nic-link.ts";
import { NetworkHub, hostNameFor } from "../../src/hypervisor/net/network-hub.ts";
import { NIC_RING_FRAMES } from "../../src/hypervisor/shared-layout.ts";
import { dhcpFrame, dhcpRequest } from "./net-fixtures.ts";

const MAC_A = parseMac("02:00:00:00:00:0a");
const MAC_B = parseMac("02:00:00:00:00:0b");

/** A network card as the emulator's NicPort looks to the link: it keeps what it receives (up to
 *  `room` frames). */
class FakeCard implements NicEnd {
  onTransmit: ((frame: Uint8Array) => void) | null = null;
  got: Uint8Array[] = [];
  constructor(public room = Infinity) {}
  receive(frame: Uint8Array): boolean {
    if (this.got.length >= this.room) return false;
    this.got.push(frame);
    return true;
  }
  send(frame: Uint8Array): void {
    this.onTransmit!(frame);
  }
}

function twoVms() {
  const hub = new NetworkHub({ now: () => 1_700_000_000_000 });
  const guestBell = new Int32Array(new SharedArrayBuffer(8));
  const [chA] = hub.plugVm("vm1", "Alpha VM", [{ network: "lan", mac: MAC_A }], { words: guestBell, index: 0 });
  const [chB] = hub.plugVm("vm2", "beta", [{ network: "lan", mac: MAC_B }]);
  const a = new FakeCard();
  const b = new FakeCard();
  const linkA = new GuestNicLink(a, chA!);
  const linkB = new GuestNicLink(b, chB!);
  const settle = () => {
    for (let i = 0; i < 10; i++) {
      hub.pump();
      linkA.pump();
      linkB.pump();
    }
  };
  return { hub, a, b, linkA, linkB, settle, guestBell, chA: chA! };
}

const frame = (dst: Uint8Array, src: Uint8Array, size = 100, tag = 0) => {
  const p = new Uint8Array(size - 14);
  p[0] = tag;
  return ethernetFrame(dst, src, ETHERTYPE_IPV4, p);
};

describe("NIC rings between guest workers and the switch", () => {
  it("carries frames card → ring → switch → ring → card, and rings the guest's doorbell", () => {
    const { a, b, settle, guestBell } = twoVms();
    b.send(frame(MAC_A, MAC_B, 1000, 7));
    settle();
    expect(a.got.map((f) => [f.length, f[14]])).toEqual([[1000, 7]]);
    expect(Atomics.load(guestBell, 0)).toBeGreaterThan(0);
    a.send(frame(MAC_B, MAC_A, 60, 9));
    settle();
    expect(b.got.map((f) => f[14])).toEqual([9]);
  });

  it("gets a DHCP lease through the rings, and DNS knows the VM's name", () => {
    const { a, hub, settle } = twoVms();
    a.send(dhcpFrame(MAC_A, dhcpRequest(MAC_A, 3, [[50, [10, 0, 2, 30]]])));
    settle();
    expect(a.got.length).toBe(1);
    const [lan] = hub.info();
    expect(lan).toMatchObject({ name: "lan", subnet: "10.0.2.0/24", gateway: "10.0.2.2" });
    expect(lan!.leases).toMatchObject([{ mac: formatMac(MAC_A), ip: "10.0.2.30", hostname: "alpha-vm", state: "bound" }]);
    expect(hostNameFor("  My  VM!! ")).toBe("my-vm");
    expect(hostNameFor("!!!")).toBeNull();
  });

  it("drops and counts on every full queue: the guest's ring, the switch port, the card", () => {
    const { a, b, hub, linkA, chA } = twoVms();
    // The switch side does not run: the ring to the switch fills, the rest is dropped by the guest side.
    for (let i = 0; i < NIC_RING_FRAMES + 44; i++) a.send(frame(BROADCAST_MAC, MAC_A));
    a.send(new Uint8Array(2000)); // longer than any frame
    let info = hub.info()[0]!.ports.find((p) => p.vmId === "vm1")!;
    expect(info.guestTxDropped).toBe(45);
    // Now the switch runs but nobody on b's side takes frames: b's ring fills and the port counts.
    for (let i = 0; i < 20; i++) hub.pump();
    for (let i = 0; i < 10; i++) a.send(frame(BROADCAST_MAC, MAC_A));
    for (let i = 0; i < 20; i++) hub.pump();
    const bPort = hub.info()[0]!.ports.find((p) => p.vmId === "vm2")!;
    expect(bPort.counters.outFrames).toBe(NIC_RING_FRAMES);
    expect(bPort.counters.outDropped).toBe(10);
    expect(b.got.length).toBe(0);
    // A card with no room refuses: counted on the guest side.
    const small = new FakeCard(1);
    const link = new GuestNicLink(small, hub.plugVm("vm3", "gamma", [{ network: "lan" }])[0]!);
    a.send(frame(BROADCAST_MAC, MAC_A));
    a.send(frame(BROADCAST_MAC, MAC_A));
    for (let i = 0; i < 5; i++) hub.pump();
    link.pump();
    expect(small.got.length).toBe(1);
    info = hub.info()[0]!.ports.find((p) => p.vmId === "vm3")!;
    expect(info.guestRxRefused).toBe(1);
    expect(linkA).toBeDefined();
    expect(chA.toSwitch.byteLength).toBeGreaterThan(NIC_RING_FRAMES * 1514);
  });

  it("unplugs a stopped VM's cards and captures one port as pcap", () => {
    const { a, b, hub, settle } = twoVms();
    hub.startCapture("lan", "beta eth0");
    a.send(frame(MAC_B, MAC_A, 80));
    b.send(frame(MAC_A, MAC_B, 90));
    settle();
    const pcap = hub.capturePcap("lan", "beta eth0");
    expect(pcap.length).toBe(24 + 16 + 80 + 16 + 90);
    expect(() => hub.capturePcap("lan")).toThrow(/no capture is running on network "lan"/);
    expect(() => hub.startCapture("lan", "nope")).toThrow(/no port "nope"/);
    hub.unplugVm("vm2");
    expect(hub.info()[0]!.ports.map((p) => p.name)).toEqual(["switch", "Alpha VM eth0"]);
    expect(() => hub.network("bad name")).toThrow(/network name/);
  });

  it("serve() forwards as soon as a card sends", async () => {
    const { a, b, hub, linkB } = twoVms();
    const stop = hub.serve();
    try {
      a.send(frame(MAC_B, MAC_A, 64, 3));
      for (let i = 0; i < 100 && b.got.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 5));
        linkB.pump();
      }
      expect(b.got.map((f) => f[14])).toEqual([3]);
    } finally {
      stop();
    }
  });
});
