// The host facilities the emulator uses, typed here because the emulator compiles without DOM,
// worker or Node types (tsconfig.emulator.json). Every host it runs on (page, Web Worker, Node)
// provides them as globals. The declarations are local to this module (they add nothing to the
// global scope of other layers); at run time the names are the host's globals, read exactly as a
// direct `performance.now()` would be (reading them through globalThis costs more per call).

declare const performance: { now(): number };
declare const TextEncoder: new () => { encode(text: string): Uint8Array };

/** Monotonic wall milliseconds (performance.now()). */
export function hostNow(): number {
  return performance.now();
}

/** The UTF-8 bytes of a string (TextEncoder). */
export function utf8Bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
