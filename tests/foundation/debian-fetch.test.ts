// Fetching Debian packages: cache reuse, the fallback when the candidate cannot be downloaded (an
// index out of sync with the mirror), and one clear error when the archive is unavailable. apt is
// replaced by small scripts on PATH that act like an archive with two versions of one package.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fetchPackage, PackageError } from "../../scripts/guests/debian.ts";
import { sha256File } from "../../scripts/guests/exec.ts";

const work = mkdtempSync(join(tmpdir(), "debian-fetch-test-"));
const archive = join(work, "archive");
const bin = join(work, "bin");
const savedPath = process.env.PATH;

function buildDeb(version: string): string {
  const tree = join(work, `tree-${version}`);
  mkdirSync(join(tree, "DEBIAN"), { recursive: true });
  mkdirSync(join(tree, "usr/share/demo"), { recursive: true });
  writeFileSync(join(tree, "DEBIAN/control"), `Package: demo\nVersion: ${version}\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: demo\n`);
  writeFileSync(join(tree, "usr/share/demo/version.txt"), version);
  const deb = join(archive, `demo_${version}_all.deb`);
  const r = spawnSync("dpkg-deb", ["--build", "--root-owner-group", tree, deb], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return deb;
}

/** Fake apt-cache/apt-get: candidate 2.0 (not downloadable unless $DEMO_CANDIDATE_OK), 1.0 downloadable. */
function installFakeApt(): void {
  mkdirSync(bin, { recursive: true });
  const sha = (v: string) => sha256File(join(archive, `demo_${v}_all.deb`));
  const record = (v: string) => `Package: demo\\nVersion: ${v}\\nArchitecture: all\\nFilename: pool/main/d/demo/demo_${v}_all.deb\\nSHA256: ${sha(v)}\\n`;
  writeFileSync(
    join(bin, "apt-cache"),
    `#!/bin/sh
case "$1" in
  policy) printf 'demo:\\n  Installed: (none)\\n  Candidate: 2.0\\n' ;;
  show) case "$2" in demo=2.0) printf '${record("2.0")}' ;; demo=1.0) printf '${record("1.0")}' ;; *) echo "E: no $2" >&2; exit 100 ;; esac ;;
  madison) printf ' demo | 2.0 | http://deb.example.org bookworm/main i386 Packages\\n demo | 1.0 | http://deb.example.org bookworm/main amd64 Packages\\n' ;;
  *) exit 100 ;;
esac
`,
  );
  writeFileSync(
    join(bin, "apt-get"),
    `#!/bin/sh
for a in "$@"; do last="$a"; done
case "$*" in
  *update*) exit 0 ;;
esac
echo "$last" >> "${work}/downloads.log"
[ -n "$DEMO_ARCHIVE_DOWN" ] && { echo "E: Failed to fetch http://deb.example.org/$last  Could not resolve host" >&2; exit 100; }
case "$last" in
  demo=2.0) [ -n "$DEMO_CANDIDATE_OK" ] && cp "${archive}/demo_2.0_all.deb" . && exit 0; echo "E: Failed to fetch demo_2.0_all.deb  404  Not Found" >&2; exit 100 ;;
  demo=1.0) cp "${archive}/demo_1.0_all.deb" . ;;
esac
`,
  );
  chmodSync(join(bin, "apt-cache"), 0o755);
  chmodSync(join(bin, "apt-get"), 0o755);
}

const downloads = () => {
  const r = spawnSync("sh", ["-c", `cat ${work}/downloads.log 2>/dev/null`], { encoding: "utf8" });
  return r.stdout.trim().split("\n").filter(Boolean);
};

beforeAll(() => {
  mkdirSync(archive, { recursive: true });
  buildDeb("1.0");
  buildDeb("2.0");
  installFakeApt();
  process.env.PATH = `${bin}:${savedPath}`;
});
afterAll(() => {
  process.env.PATH = savedPath;
  delete process.env.DEMO_CANDIDATE_OK;
  delete process.env.DEMO_ARCHIVE_DOWN;
  rmSync(work, { recursive: true, force: true });
});

describe("Debian package fetching", () => {
  test("candidate not downloadable: retries, then falls back to the version the archive has, and says so", () => {
    const cache = join(work, "cache-fallback");
    const logs: string[] = [];
    const p = fetchPackage("demo", cache, (m) => logs.push(m));
    expect(p).toMatchObject({ name: "demo", candidate: "2.0", version: "1.0", arch: "all" });
    expect(p.fallback).toMatch(/candidate 2\.0 not downloadable/);
    expect(downloads().filter((d) => d === "demo=2.0").length).toBeGreaterThanOrEqual(3); // retried
    expect(spawnSync("cat", [join(p.root, "usr/share/demo/version.txt")], { encoding: "utf8" }).stdout).toBe("1.0");
    expect(logs.some((l) => l.includes("using 1.0"))).toBe(true);
  }, 30_000);

  test("a cached, checksum-valid .deb is not downloaded again; a corrupted one is", () => {
    process.env.DEMO_CANDIDATE_OK = "1";
    const cache = join(work, "cache-reuse");
    const first = fetchPackage("demo", cache, () => {});
    expect(first).toMatchObject({ version: "2.0", fallback: null });
    const before = downloads().length;
    fetchPackage("demo", cache, () => {});
    expect(downloads().length).toBe(before);
    writeFileSync(first.debFile, "truncated");
    const again = fetchPackage("demo", cache, () => {});
    expect(downloads().length).toBe(before + 1);
    expect(sha256File(again.debFile)).toBe(again.debSha256);
    expect(readdirSync(cache).filter((f) => f.endsWith(".deb"))).toEqual(["demo_2.0_all.deb"]);
    delete process.env.DEMO_CANDIDATE_OK;
  }, 30_000);

  test("an unavailable archive gives one error naming the package", () => {
    process.env.DEMO_ARCHIVE_DOWN = "1";
    let error: unknown = null;
    try {
      fetchPackage("demo", join(work, "cache-down"), () => {});
    } catch (e) {
      error = e;
    }
    delete process.env.DEMO_ARCHIVE_DOWN;
    expect(error).toBeInstanceOf(PackageError);
    expect((error as Error).message).toMatch(/^could not fetch Debian package demo \(candidate 2\.0\)/);
    expect((error as Error).message).toContain("Could not resolve host");
  }, 60_000);
});
