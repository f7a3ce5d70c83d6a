import { describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { SpscByteRing, SpscFrameRing, SpscRecordRing } from "../../src/hypervisor/spsc-ring.ts";

const bootstrap = new URL("./ts-worker-bootstrap.mjs", import.meta.url);
const entry = new URL("./ring-worker.ts", import.meta.url).href;

function runWorker(data: object): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const w = new Worker(bootstrap, { workerData: { ...data, entry } });
    w.once("message", (m) => {
      resolve(m);
      void w.terminate();
    });
    w.once("error", reject);
  });
}

describe("SpscByteRing", () => {
  it("is bounded: a full ring refuses what does not fit and keeps order across wrap-around", () => {
    const ring = SpscByteRing.create(8);
    expect(ring.write(new Uint8Array([1, 2, 3, 4, 5, 6]))).toBe(6);
    const out = new Uint8Array(4);
    expect(ring.read(out)).toBe(4);
    expect([...out]).toEqual([1, 2, 3, 4]);
    expect(ring.write(new Uint8Array([7, 8, 9, 10, 11, 12, 13]))).toBe(6); // 2 left + 6 free = 8
    expect(ring.writeByte(99)).toBe(false);
    expect(ring.free()).toBe(0);
    const all = new Uint8Array(16);
    expect(ring.read(all)).toBe(8);
    expect([...all.subarray(0, 8)]).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ring.read(all)).toBe(0);
    expect(ring.peek()).toBe(-1);
  });

  it("peek/consume lets a receiver refuse a byte without losing it", () => {
    const ring = SpscByteRing.create(4);
    ring.writeByte(0x41);
    ring.writeByte(0x42);
    expect(ring.peek()).toBe(0x41);
    expect(ring.peek()).toBe(0x41); // refused: still there
    ring.consume();
    expect(ring.peek()).toBe(0x42);
  });

  it("rings an external doorbell on every write", () => {
    const ring = SpscByteRing.create(16);
    const words = new Int32Array(new SharedArrayBuffer(8));
    ring.setDoorbell({ words, index: 1 });
    ring.write(new Uint8Array([1, 2]));
    ring.writeByte(3);
    expect(words[1]).toBe(2);
  });

  it("rejects buffers that are not rings and bad capacities", () => {
    expect(() => SpscByteRing.create(12)).toThrow(/power of two/);
    expect(() => SpscByteRing.attach(new SharedArrayBuffer(64))).toThrow(/does not hold/);
    expect(() => SpscRecordRing.attach(SpscByteRing.create(8).buffer)).toThrow(/does not hold/);
  });

  it("two threads hammering a ring: every byte arrives once, in order", async () => {
    const ring = SpscByteRing.create(256);
    const total = 3_000_000;
    const [p, c] = await Promise.all([
      runWorker({ role: "byte-producer", buffer: ring.buffer, total }),
      runWorker({ role: "byte-consumer", buffer: ring.buffer, total }),
    ]);
    expect(p.sent).toBe(total);
    expect(c.got).toBe(total);
    expect(c.errors).toBe(0);
    expect(ring.available()).toBe(0);
  });
});

describe("SpscRecordRing", () => {
  it("a producer thread's records all arrive once, in order, with back-pressure", async () => {
    const ring = SpscRecordRing.create(16, 3);
    const total = 200_000;
    const producer = runWorker({ role: "record-producer", buffer: ring.buffer, total });
    const rec = new Int32Array(3);
    let next = 0;
    let bad = 0;
    const deadline = Date.now() + 50_000;
    while (next < total && Date.now() < deadline) {
      if (!ring.pop(rec)) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      if (rec[0] !== next || rec[1] !== -next || rec[2] !== next * 3) bad++;
      next++;
    }
    expect((await producer).sent).toBe(total);
    expect(next).toBe(total);
    expect(bad).toBe(0);
  });
});

describe("SpscFrameRing", () => {
  it("carries variable-length records in order across wrap-around, refuses when full or too long", () => {
    const ring = SpscFrameRing.create(4, 10);
    const attached = SpscFrameRing.attach(ring.buffer);
    expect(attached.maxLength).toBe(12); // slots are whole words
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) expect(ring.push(Uint8Array.from({ length: i + 1 }, () => round * 10 + i))).toBe(true);
      expect(ring.push(new Uint8Array(1))).toBe(false);
      for (let i = 0; i < 4; i++) expect([...attached.pop()!]).toEqual(Array.from({ length: i + 1 }, () => round * 10 + i));
      expect(attached.pop()).toBeNull();
    }
    expect(() => ring.push(new Uint8Array(13))).toThrow(/exceeds the slot size 12/);
    expect(() => SpscFrameRing.attach(SpscRecordRing.create(4, 2).buffer)).toThrow(/does not hold/);
  });

  it("bounds a corrupted length word to the slot", () => {
    const ring = SpscFrameRing.create(2, 8);
    ring.push(Uint8Array.of(1, 2));
    new Int32Array(ring.buffer, 16, 1)[0] = 1 << 30; // the other side wrote nonsense
    expect(ring.pop()!.length).toBe(8);
  });
});
