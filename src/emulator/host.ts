// The host facilities the emulator uses, typed here because the emulator compiles without DOM,
// worker or Node types (tsconfig.emulator.json). Every host it runs on (page, Web Worker, Node)
// provides them as globals; they are looked up at each call, so test doubles installed later count.

interface HostGlobals {
  performance: { now(): number };
  TextEncoder: new () => { encode(text: string): Uint8Array };
}

const host = globalThis as unknown as HostGlobals;

/** Monotonic wall milliseconds (performance.now()). */
export function hostNow(): number {
  return host.performance.now();
}

/** The UTF-8 bytes of a string (TextEncoder). */
export function utf8Bytes(text: string): Uint8Array {
  return new host.TextEncoder().encode(text);
}
