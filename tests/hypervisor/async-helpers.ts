// Shared by the hypervisor tests that run guests on worker threads: polling and a slow reader that
// drains a serial ring and checks the byte sequence (byte i of the stream is i & 0xff).

import type { SpscByteRing } from "../../src/hypervisor/spsc-ring.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, ms: number, probe: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

/** Reads `total` bytes in uneven pieces; returns how many arrived and how many were out of sequence. */
export async function drainSequence(ring: SpscByteRing, total: number, timeoutMs: number): Promise<{ got: number; bad: number }> {
  const buf = new Uint8Array(4096);
  let got = 0;
  let bad = 0;
  const end = Date.now() + timeoutMs;
  while (got < total && Date.now() < end) {
    const n = ring.read(buf, 1 + (got % 4096));
    for (let i = 0; i < n; i++) if (buf[i] !== ((got + i) & 0xff)) bad++;
    got += n;
    if (n === 0) await sleep(1);
  }
  return { got, bad };
}
