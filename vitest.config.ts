import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One file at a time: the run is dominated by whole-machine boots (Linux, memtest86+) that
    // measure guest timer rates, and two of them sharing the 2 cores of CI lose timer ticks to
    // host contention; the many small files add little time run in series.
    fileParallelism: false,
  },
});
