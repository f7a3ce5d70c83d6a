// Fetches Debian packages with `apt-get download` and unpacks them with `dpkg-deb -x` into a cache
// folder: nothing is installed system-wide. Downloads are checked against the SHA-256 in apt's index
// and reused from the cache, so a second run downloads nothing.

import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CommandError, isRoot, run, sha256File } from "./exec.ts";

export interface ResolvedPackage {
  /** What was asked for, e.g. "busybox-static:i386". */
  spec: string;
  name: string;
  arch: string;
  /** The version apt's index offered (candidate). */
  candidate: string;
  /** The version actually used (differs from candidate only after a fallback). */
  version: string;
  /** Why a fallback version was used, or null. */
  fallback: string | null;
  /** Where the package is unpacked (dpkg-deb -x). */
  root: string;
  debFile: string;
  debSha256: string;
  /** Whether this call downloaded the .deb (false: reused from the cache). */
  downloaded: boolean;
}

export interface PackageRecord {
  name: string;
  arch: string;
  version: string;
  candidate: string;
  fallback: string | null;
  sha256: string;
}

export const recordOf = (p: ResolvedPackage): PackageRecord => ({
  name: p.name,
  arch: p.arch,
  version: p.version,
  candidate: p.candidate,
  fallback: p.fallback,
  sha256: p.debSha256,
});

export class PackageError extends Error {
  override name = "PackageError";
}

const APT_OPTS = ["-q", "-o", "APT::Sandbox::User=root"];

function splitSpec(spec: string): { name: string; arch: string | null } {
  const [name, arch] = spec.split(":");
  if (!name || !/^[a-z0-9][a-z0-9+.-]+$/.test(name)) throw new PackageError(`bad package name "${spec}"`);
  return { name, arch: arch ?? null };
}

/** The candidate version of a package in apt's local index (no network). */
export function candidateVersion(spec: string): string {
  let out: string;
  try {
    out = run("apt-cache", ["policy", spec]);
  } catch (e) {
    throw new PackageError(`apt-cache cannot look up Debian package ${spec}: ${(e as Error).message}`);
  }
  const candidate = /Candidate:\s*(\S+)/.exec(out)?.[1];
  if (!candidate || candidate === "(none)") {
    const hint = spec.endsWith(":i386") ? " (add the architecture: dpkg --add-architecture i386 && apt-get update)" : " (run apt-get update)";
    throw new PackageError(`Debian package ${spec} is not in apt's index${hint}`);
  }
  return candidate;
}

/** Candidate versions of several packages with one `apt-cache policy` call (it is slow to start). */
export function candidateVersions(specs: readonly string[]): Map<string, string> {
  const out = run("apt-cache", ["policy", ...specs]);
  const found = new Map<string, string>();
  let current: string | null = null;
  for (const line of out.split("\n")) {
    const head = /^(\S+):$/.exec(line);
    if (head) current = head[1]!;
    const cand = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (cand && current && cand[1] !== "(none)") found.set(current, cand[1]!);
  }
  const result = new Map<string, string>();
  for (const spec of specs) {
    // apt prints native-architecture packages without their ":arch" suffix.
    const v = found.get(spec) ?? found.get(spec.replace(/:(amd64|all)$/, ""));
    result.set(spec, v ?? candidateVersion(spec)); // the single look-up names what is missing
  }
  return result;
}

/** The dependency of `spec` whose name matches `pattern`, e.g. the versioned kernel package. */
export function dependencyMatching(spec: string, pattern: RegExp): string {
  const out = run("apt-cache", ["depends", spec]);
  for (const line of out.split("\n")) {
    const m = /^\s*\|?Depends:\s*(\S+)/.exec(line);
    if (m && pattern.test(m[1]!)) return m[1]!;
  }
  throw new PackageError(`Debian package ${spec} has no dependency matching ${pattern}`);
}

interface IndexRecord {
  arch: string;
  filename: string;
  sha256: string;
}

/** apt's record for spec=version, remembered next to the cache so later runs need no apt call. */
function indexRecord(spec: string, version: string, cacheDir: string): IndexRecord {
  const memo = join(cacheDir, `${spec.replace(/[^\w.+-]/g, "_")}=${version.replace(/[^\w.+~-]/g, "_")}.record.json`);
  try {
    const saved = JSON.parse(readFileSync(memo, "utf8")) as IndexRecord;
    if (saved.arch && saved.filename && /^[0-9a-f]{64}$/.test(saved.sha256)) return saved;
  } catch {
    /* not remembered yet */
  }
  const record = indexRecordFromApt(spec, version);
  writeFileSync(memo, JSON.stringify(record));
  return record;
}

function indexRecordFromApt(spec: string, version: string): IndexRecord {
  const out = run("apt-cache", ["show", `${spec}=${version}`]);
  const first = out.split("\n\n")[0] ?? "";
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(first)?.[1];
  const arch = field("Architecture");
  const filename = field("Filename");
  const sha = field("SHA256");
  if (!arch || !filename || !sha) throw new PackageError(`apt's index has no complete record for ${spec}=${version}`);
  return { arch, filename: basename(filename), sha256: sha };
}

/** Other versions of the same package apt knows of (any suite/architecture index), newest first. */
function otherVersions(name: string, except: string): string[] {
  let out = "";
  try {
    out = run("apt-cache", ["madison", name]);
  } catch {
    return [];
  }
  const versions: string[] = [];
  for (const line of out.split("\n")) {
    const v = line.split("|")[1]?.trim();
    if (v && v !== except && !versions.includes(v)) versions.push(v);
  }
  return versions;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Downloads one exact version into `dir` (atomic: a partial file never keeps the final name). */
function download(spec: string, version: string, record: IndexRecord, dir: string): void {
  const work = join(dir, ".download");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  run("apt-get", [...APT_OPTS, "download", `${spec}=${version}`], { cwd: work, timeoutMs: 10 * 60_000 });
  const got = readdirSync(work).find((f) => f.endsWith(".deb"));
  if (!got) throw new PackageError(`apt-get download ${spec}=${version} produced no .deb`);
  const sha = sha256File(join(work, got));
  if (sha !== record.sha256) throw new PackageError(`downloaded ${got} has SHA-256 ${sha}, apt's index says ${record.sha256}`);
  renameSync(join(work, got), join(dir, record.filename));
  rmSync(work, { recursive: true, force: true });
}

export interface FetchLog {
  (message: string): void;
}

/**
 * Makes `spec` available unpacked under `cacheDir`, downloading only when the cached .deb is
 * missing or does not match apt's checksum. When the candidate cannot be downloaded (an index
 * briefly out of sync with the mirror) it retries, refreshes the index when root, then falls back
 * to another version apt knows of, and records which was used.
 */
export function fetchPackage(spec: string, cacheDir: string, log: FetchLog, knownCandidate?: string): ResolvedPackage {
  const { name } = splitSpec(spec);
  mkdirSync(cacheDir, { recursive: true });
  const candidate = knownCandidate ?? candidateVersion(spec);
  const attempts: { version: string; why: string | null }[] = [{ version: candidate, why: null }];
  const errors: string[] = [];
  let refreshed = false;

  for (let i = 0; i < attempts.length; i++) {
    const { version, why } = attempts[i]!;
    let record: IndexRecord;
    try {
      record = indexRecord(spec, version, cacheDir);
    } catch (e) {
      errors.push(`${version}: ${(e as Error).message}`);
      continue;
    }
    const debFile = join(cacheDir, record.filename);
    const cached = sha256File(debFile) === record.sha256;
    let downloaded = false;
    if (!cached) {
      let ok = false;
      for (let attempt = 1; attempt <= 3 && !ok; attempt++) {
        try {
          log(`downloading ${spec}=${version}${attempt > 1 ? ` (attempt ${attempt})` : ""}`);
          download(spec, version, record, cacheDir);
          ok = true;
          downloaded = true;
        } catch (e) {
          errors.push(`${version} attempt ${attempt}: ${(e as Error).message}`);
          if (attempt < 3) sleep(1000 * attempt);
        }
      }
      if (!ok) {
        if (!refreshed && isRoot()) {
          refreshed = true;
          log(`refreshing apt's index (apt-get update) after failing to download ${spec}`);
          try {
            run("apt-get", ["-q", "update"], { timeoutMs: 10 * 60_000 });
            const fresh = candidateVersion(spec);
            if (fresh !== version) attempts.push({ version: fresh, why: `index refreshed: ${version} was not downloadable` });
          } catch (e) {
            errors.push(`apt-get update: ${(e as Error).message}`);
          }
        }
        if (i === 0) {
          for (const other of otherVersions(name, version))
            attempts.push({ version: other, why: `candidate ${candidate} not downloadable; used the version the archive has` });
        }
        continue;
      }
    }
    const root = join(cacheDir, record.filename.replace(/\.deb$/, ""));
    const marker = join(root, ".unpacked");
    if (!existsSync(marker) || readFileSync(marker, "utf8") !== record.sha256) {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root, { recursive: true });
      try {
        run("dpkg-deb", ["-x", debFile, root]);
      } catch (e) {
        throw new PackageError(`cannot unpack Debian package ${spec} (${record.filename}): ${(e as CommandError).message}`);
      }
      writeFileSync(marker, record.sha256);
    }
    if (why) log(`${spec}: using ${version} (${why})`);
    return { spec, name, arch: record.arch, candidate, version, fallback: why, root, debFile, debSha256: record.sha256, downloaded };
  }
  throw new PackageError(`could not fetch Debian package ${spec} (candidate ${candidate}): ${errors.slice(-3).join("; ")}`);
}
