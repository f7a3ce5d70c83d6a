// `npm run guests`: builds public/bios and public/guests from Debian's archive (see scripts/guests/).
// `npm run guests -- --out DIR` (or HYPERTAB_GUESTS_OUT=DIR) builds into DIR instead of public/, with
// the same layout (DIR/bios, DIR/guests): a trial build that leaves the served images alone.

import { lstatSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { runGuestPipeline } from "./guests/pipeline.ts";

const root = resolve(import.meta.dirname, "..");

function outputDir(args: readonly string[]): string {
  const at = args.indexOf("--out");
  if (at >= 0 && !args[at + 1]) throw new Error("--out needs a directory");
  const unknown = args.filter((a, i) => a !== "--out" && args[i - 1] !== "--out");
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(" ")} (the only option is --out DIR)`);
  const dir = at >= 0 ? args[at + 1]! : process.env.HYPERTAB_GUESTS_OUT;
  if (!dir) return resolve(root, "public");
  // A copied public/ may hold symlinks to the served folders: a trial build must not write there.
  for (const sub of ["bios", "guests"]) {
    const path = join(dir, sub);
    let link = false;
    try {
      link = lstatSync(path).isSymbolicLink();
    } catch {
      /* absent: the pipeline creates it */
    }
    if (link) throw new Error(`${path} is a symlink (to ${realpathSync(path)}): building there would overwrite that folder`);
  }
  return resolve(dir);
}

const started = Date.now();
try {
  const publicDir = outputDir(process.argv.slice(2));
  const result = runGuestPipeline({ publicDir, cacheDir: resolve(root, ".cache") });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `[guests] ${result.rebuilt.length} built, ${result.kept.length} up to date, ` +
      `${result.downloaded ? "downloaded packages" : "nothing downloaded"} (${seconds} s); manifest: ${resolve(publicDir, "guests/manifest.json")}`,
  );
} catch (e) {
  console.error(`[guests] error: ${(e as Error).message}`);
  process.exit(1);
}
