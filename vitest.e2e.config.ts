import { defineConfig } from "vitest/config";

// Browser end-to-end tests (playwright-core + Debian Chromium against a vite preview server).
// One file at a time: each starts its own server and browser, and the machine has 2 cores.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.test.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks",
    fileParallelism: false,
  },
});
