// `npm run test:e2e`: the browser tests only (vitest with vitest.e2e.config.ts); extra arguments
// (file filters, -t patterns) are passed through.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromiumPath } from "./harness.ts";

const root = resolve(import.meta.dirname, "..");
if (!existsSync(chromiumPath)) {
  console.error(`e2e: Chromium not found at ${chromiumPath}: apt-get install chromium (or set HYPERTAB_CHROMIUM)`);
  process.exit(1);
}
const result = spawnSync(join(root, "node_modules/.bin/vitest"), ["run", "-c", "vitest.e2e.config.ts", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
