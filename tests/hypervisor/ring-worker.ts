// Helper thread for the ring concurrency tests: produces or consumes a deterministic byte/record stream.
import { parentPort, workerData } from "node:worker_threads";
import { SpscByteRing, SpscRecordRing } from "../../src/hypervisor/spsc-ring.ts";

const { role, buffer, total } = workerData as { role: string; buffer: SharedArrayBuffer; total: number };

if (role === "byte-producer") {
  const ring = SpscByteRing.attach(buffer);
  const chunk = new Uint8Array(997);
  let sent = 0;
  while (sent < total) {
    const n = Math.min(chunk.length, total - sent, 1 + (sent % 613));
    for (let i = 0; i < n; i++) chunk[i] = (sent + i) * 7 + ((sent + i) >>> 8);
    let off = 0;
    while (off < n) {
      const w = ring.write(chunk, off, n - off);
      off += w;
      if (w === 0) ring.waitForSpace(50);
    }
    sent += n;
  }
  parentPort!.postMessage({ sent });
} else if (role === "byte-consumer") {
  const ring = SpscByteRing.attach(buffer);
  const dst = new Uint8Array(1500);
  let got = 0;
  let errors = 0;
  while (got < total) {
    const n = ring.read(dst, 1 + (got % 1499));
    if (n === 0) {
      ring.waitForData(50);
      continue;
    }
    for (let i = 0; i < n; i++) if (dst[i] !== (((got + i) * 7 + ((got + i) >>> 8)) & 0xff)) errors++;
    got += n;
  }
  parentPort!.postMessage({ got, errors });
} else if (role === "record-producer") {
  const ring = SpscRecordRing.attach(buffer);
  const rec = new Int32Array(3);
  for (let i = 0; i < total; i++) {
    rec[0] = i;
    rec[1] = -i;
    rec[2] = i * 3;
    while (!ring.push(rec)) ring.waitForSpace(50);
  }
  parentPort!.postMessage({ sent: total });
}
