import { describe, expect, it } from "vitest";
import { BROADCAST_MAC, ETHERTYPE_IPV4, ethernetFrame, formatMac, parseMac } from "../../src/hypervisor/net/ethernet.ts";
import { VirtualSwitch, type SwitchPort } from "../../src/hypervisor/net/virtual-switch.ts";

const A = parseMac("02:00:00:00:00:0a");
const B = parseMac("02:00:00:00:00:0b");
const C = parseMac("02:00:00:00:00:0c");

function frame(dst: Uint8Array, src: Uint8Array, tag = 0, size = 60): Uint8Array {
  const payload = new Uint8Array(size - 14);
  payload[0] = tag;
  return ethernetFrame(dst, src, ETHERTYPE_IPV4, payload);
}

/** A port whose device keeps what it receives (up to `room` frames; beyond that it refuses). */
function plug(sw: VirtualSwitch, name: string, room = Infinity): { port: SwitchPort; got: Uint8Array[] } {
  const got: Uint8Array[] = [];
  const port = sw.attach({ name, deliver: (f) => (got.length < room ? (got.push(f), true) : false) });
  return { port, got };
}

const sourcesOf = (frames: Uint8Array[]) => frames.map((f) => formatMac(f.subarray(6, 12)));

describe("VirtualSwitch forwarding", () => {
  it("floods unknown unicast, then learns where each MAC is and sends only there", () => {
    const sw = new VirtualSwitch("lan", { now: () => 0 });
    const a = plug(sw, "a");
    const b = plug(sw, "b");
    const c = plug(sw, "c");
    a.port.send(frame(B, A));
    sw.pump();
    // B is unknown: flooded to b and c, not back to a.
    expect(b.got.length).toBe(1);
    expect(c.got.length).toBe(1);
    expect(a.got.length).toBe(0);
    b.port.send(frame(A, B));
    sw.pump();
    // A was learned on port a: only a gets the reply.
    expect(a.got.length).toBe(1);
    expect(c.got.length).toBe(1);
    a.port.send(frame(B, A, 2));
    sw.pump();
    expect(b.got.length).toBe(2);
    expect(c.got.length).toBe(1);
    expect(sw.macs.size).toBe(2);
  });

  it("floods broadcast and multicast to every other port", () => {
    const sw = new VirtualSwitch("lan", { now: () => 0 });
    const a = plug(sw, "a");
    const b = plug(sw, "b");
    const c = plug(sw, "c");
    b.port.send(frame(B, C)); // learn C? no: C is learned on b's port; irrelevant to group frames
    a.port.send(frame(BROADCAST_MAC, A));
    a.port.send(frame(parseMac("01:00:5e:00:00:01"), A));
    sw.pump();
    expect(b.got.length).toBe(2);
    expect(c.got.length).toBe(3);
    expect(a.got.length).toBe(1);
  });

  it("forgets a MAC after the ageing time and floods again", () => {
    let now = 0;
    const sw = new VirtualSwitch("lan", { now: () => now, ageingMs: 1000 });
    const a = plug(sw, "a");
    const b = plug(sw, "b");
    const c = plug(sw, "c");
    b.port.send(frame(A, B));
    sw.pump();
    now = 500;
    a.port.send(frame(B, A));
    sw.pump();
    expect(c.got.length).toBe(1); // only the first (A unknown then) reached c
    now = 1600; // B last seen at 0
    a.port.send(frame(B, A));
    sw.pump();
    expect(c.got.length).toBe(2);
    expect(b.got.length).toBe(2);
  });

  it("follows a MAC that moves to another port, and forgets MACs of a detached port", () => {
    const sw = new VirtualSwitch("lan", { now: () => 0 });
    const a = plug(sw, "a");
    const b = plug(sw, "b");
    const c = plug(sw, "c");
    b.port.send(frame(A, B));
    c.port.send(frame(A, B)); // B moved to port c
    sw.pump();
    expect([b.got.length, c.got.length]).toEqual([1, 1]); // each saw the other's flood
    a.port.send(frame(B, A, 5));
    sw.pump();
    expect(c.got.at(-1)![14]).toBe(5);
    expect(b.got.length).toBe(1);
    sw.detach(c.port);
    expect(c.port.send(frame(A, B))).toBe(false);
    expect(sw.ports().map((p) => p.name)).toEqual(["a", "b"]);
    a.port.send(frame(B, A, 7));
    sw.pump();
    // B's port is gone: flooded to b.
    expect(b.got.at(-1)![14]).toBe(7);
  });

  it("counts frames and bytes in and out per port", () => {
    const sw = new VirtualSwitch("lan", { now: () => 0 });
    const a = plug(sw, "a");
    const b = plug(sw, "b");
    a.port.send(frame(B, A, 0, 100));
    a.port.send(frame(B, A, 0, 200));
    sw.pump();
    expect(a.port.counters).toMatchObject({ inFrames: 2, inBytes: 300, outFrames: 0 });
    expect(b.port.counters).toMatchObject({ inFrames: 0, outFrames: 2, outBytes: 300, outDropped: 0 });
    expect(sourcesOf(b.got)).toEqual(["02:00:00:00:00:0a", "02:00:00:00:00:0a"]);
  });

  it("refuses runt, oversized and group-source frames and counts them as invalid", () => {
    const sw = new VirtualSwitch("lan", { now: () => 0 });
    const a = plug(sw, "a");
    const b = plug(sw, "b");
    expect(a.port.send(new Uint8Array(13))).toBe(false);
    expect(a.port.lastProblem).toMatch(/runt frame of 13 bytes/);
    expect(a.port.send(new Uint8Array(1515))).toBe(false);
    expect(a.port.lastProblem).toMatch(/oversized frame of 1515 bytes/);
    expect(a.port.send(frame(B, BROADCAST_MAC))).toBe(false);
    expect(a.port.lastProblem).toMatch(/source address is a group/);
    // The largest and the smallest valid frames pass.
    expect(a.port.send(frame(B, A, 0, 1514))).toBe(true);
    expect(a.port.send(frame(B, A, 0, 14))).toBe(true);
    sw.pump();
    expect(a.port.counters.invalid).toBe(3);
    expect(b.got.map((f) => f.length)).toEqual([1514, 14]);
  });
});
