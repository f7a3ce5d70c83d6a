// Builds the workstation once per e2e run (vite build), so each test file's startServer() only has
// to start a preview server. Test workers inherit HYPERTAB_E2E_BUILT from this process.

import { buildApp } from "./harness.ts";

export default async function setup(): Promise<void> {
  await buildApp();
  process.env.HYPERTAB_E2E_BUILT = String(Date.now());
}
