// A seeded xorshift32 generator: tests that try random operands or traffic draw the same sequence on
// every run, so a failure reproduces.

/** 32-bit unsigned values from xorshift32 with shifts 13/17/5, starting from `seed` (nonzero). */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}
