// Builds the workstation once per e2e run (vite build, development: React's checks on), so each
// test file's startServer("development") only has to start a preview server. Test workers inherit
// HYPERTAB_E2E_BUILT (the kind of build made) from this process.

import { buildApp } from "./harness.ts";

export default async function setup(): Promise<void> {
  await buildApp("development");
  process.env.HYPERTAB_E2E_BUILT = "development";
}
