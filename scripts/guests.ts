// `npm run guests`: builds public/bios and public/guests from Debian's archive (see scripts/guests/).

import { resolve } from "node:path";
import { runGuestPipeline } from "./guests/pipeline.ts";

const root = resolve(import.meta.dirname, "..");
const started = Date.now();
try {
  const result = runGuestPipeline({ publicDir: resolve(root, "public"), cacheDir: resolve(root, ".cache") });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `[guests] ${result.rebuilt.length} built, ${result.kept.length} up to date, ` +
      `${result.downloaded ? "downloaded packages" : "nothing downloaded"} (${seconds} s); manifest: public/guests/manifest.json`,
  );
} catch (e) {
  console.error(`[guests] error: ${(e as Error).message}`);
  process.exit(1);
}
