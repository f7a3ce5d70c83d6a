import { describe, expect, it } from "vitest";
import { BROADCAST_MAC, ETHERTYPE_IPV4, ethernetFrame, parseMac } from "../../src/hypervisor/net/ethernet.ts";
import { VirtualSwitch } from "../../src/hypervisor/net/virtual-switch.ts";

const A = parseMac("02:00:00:00:00:0a");
const B = parseMac("02:00:00:00:00:0b");
const C = parseMac("02:00:00:00:00:0c");
const frame = (dst: Uint8Array, src: Uint8Array, seq: number) => {
  const payload = new Uint8Array(1000);
  payload[0] = seq & 0xff;
  payload[1] = seq >> 8;
  return ethernetFrame(dst, src, ETHERTYPE_IPV4, payload);
};

describe("VirtualSwitch under a broadcast storm", () => {
  it("keeps the other ports' traffic flowing, bounds the storming port's queue and counts its drops", () => {
    const sw = new VirtualSwitch("lan", { now: () => 0 });
    const received = { a: 0, b: 0, c: 0 };
    const cSeqs: number[] = [];
    // c's device takes at most 40 frames per round (a receive ring drained between pumps).
    let cRoom = 0;
    const a = sw.attach({ name: "storm", deliver: () => (received.a++, true), queueFrames: 64 });
    const b = sw.attach({ name: "b", deliver: () => (received.b++, true) });
    const c = sw.attach({
      name: "c",
      deliver: (f) => {
        if (cRoom <= 0) return false;
        cRoom--;
        received.c++;
        if (f[6] === B[0] && f[11] === B[5]) cSeqs.push(f[14] | (f[15] << 8));
        return true;
      },
    });
    // c is known to the switch.
    c.send(frame(B, C, 0));
    sw.pump();
    let stormSent = 0;
    let stormRefused = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 500; i++) {
        if (a.send(frame(BROADCAST_MAC, A, i))) stormSent++;
        else stormRefused++;
      }
      b.send(frame(C, B, round)); // one unicast frame per round from a well-behaved VM
      cRoom = 40;
      sw.pump();
      expect(a.queue.length).toBeLessThanOrEqual(64);
      expect(sw.queued()).toBeLessThanOrEqual(64 + 256 + 256);
    }
    // Every one of b's frames reached c, in order, although a flooded all the time.
    expect(cSeqs).toEqual(Array.from({ length: 200 }, (_, i) => i));
    // The storm was held by storm control (16 flooded frames per pump) and its own full queue.
    expect(a.counters.inDropped).toBe(stormRefused);
    expect(stormRefused).toBeGreaterThan(90_000);
    expect(received.b).toBeLessThanOrEqual(16 * 200 + 1);
    expect(received.b).toBeGreaterThan(15 * 200);
    expect(b.counters.outDropped).toBe(0);
    expect(stormSent).toBe(a.counters.inFrames);
  });

  it("counts what a full device refuses as that port's drops", () => {
    const sw = new VirtualSwitch("lan", { now: () => 0 });
    const a = sw.attach({ name: "a", deliver: () => true });
    sw.attach({ name: "full", deliver: () => false });
    for (let i = 0; i < 10; i++) a.send(frame(BROADCAST_MAC, A, i));
    sw.pump();
    const full = sw.ports()[1]!;
    expect(full.counters).toMatchObject({ outFrames: 0, outDropped: 10 });
  });
});
