// Writer for the "newc" (SVR4, magic 070701) cpio format, the format the Linux kernel unpacks as an
// initramfs. Deterministic: same entries in, same bytes out (fixed inode numbers and mtime).

export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Uint8Array; mode?: number }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "chardev"; path: string; major: number; minor: number; mode?: number };

export interface CpioOptions {
  /** Modification time (Unix seconds) of every entry; 0 keeps builds reproducible. */
  mtime?: number;
  uid?: number;
  gid?: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const HEADER_BYTES = 110;
const MAX_FIELD = 0xffff_ffff;

export class CpioError extends Error {
  override name = "CpioError";
}

const encoder = new TextEncoder();

function validatePath(path: string): void {
  if (path.length === 0) throw new CpioError("cpio entry with an empty path");
  if (path.startsWith("/")) throw new CpioError(`cpio path must be relative: "${path}"`);
  if (path.includes("\0")) throw new CpioError(`cpio path contains NUL: "${path}"`);
  if (path.split("/").some((part) => part === "" || part === "." || part === ".."))
    throw new CpioError(`cpio path has an empty, "." or ".." component: "${path}"`);
}

function hex8(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_FIELD)
    throw new CpioError(`cpio ${what} out of range: ${value}`);
  return value.toString(16).toUpperCase().padStart(8, "0");
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

/** Serialises entries (in order) followed by the TRAILER!!! record. */
export function writeCpioNewc(entries: readonly CpioEntry[], options: CpioOptions = {}): Uint8Array {
  const mtime = options.mtime ?? 0;
  const uid = options.uid ?? 0;
  const gid = options.gid ?? 0;
  const seen = new Set<string>();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (bytes: Uint8Array) => {
    chunks.push(bytes);
    total += bytes.length;
  };
  const record = (ino: number, mode: number, nlink: number, data: Uint8Array, name: string, rdevMajor = 0, rdevMinor = 0) => {
    const nameBytes = encoder.encode(name + "\0");
    const header =
      "070701" +
      hex8(ino, "inode") +
      hex8(mode, `mode of ${name}`) +
      hex8(uid, "uid") +
      hex8(gid, "gid") +
      hex8(nlink, "nlink") +
      hex8(mtime, "mtime") +
      hex8(data.length, `size of ${name}`) +
      hex8(0, "devmajor") +
      hex8(0, "devminor") +
      hex8(rdevMajor, `rdev major of ${name}`) +
      hex8(rdevMinor, `rdev minor of ${name}`) +
      hex8(nameBytes.length, "name size") +
      hex8(0, "check");
    push(encoder.encode(header));
    push(nameBytes);
    push(new Uint8Array(pad4(HEADER_BYTES + nameBytes.length)));
    if (data.length > 0) {
      push(data);
      push(new Uint8Array(pad4(data.length)));
    }
  };

  let ino = 1;
  for (const entry of entries) {
    validatePath(entry.path);
    if (seen.has(entry.path)) throw new CpioError(`duplicate cpio path: "${entry.path}"`);
    seen.add(entry.path);
    const perm = (m: number | undefined, fallback: number) => {
      const mode = m ?? fallback;
      if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new CpioError(`bad permission bits for ${entry.path}: ${m}`);
      return mode;
    };
    switch (entry.kind) {
      case "dir":
        record(ino++, S_IFDIR | perm(entry.mode, 0o755), 2, new Uint8Array(0), entry.path);
        break;
      case "file":
        record(ino++, S_IFREG | perm(entry.mode, 0o644), 1, entry.data, entry.path);
        break;
      case "symlink":
        if (entry.target.length === 0 || entry.target.includes("\0"))
          throw new CpioError(`bad symlink target for ${entry.path}: "${entry.target}"`);
        record(ino++, S_IFLNK | 0o777, 1, encoder.encode(entry.target), entry.path);
        break;
      case "chardev":
        record(ino++, S_IFCHR | perm(entry.mode, 0o600), 1, new Uint8Array(0), entry.path, entry.major, entry.minor);
        break;
    }
  }
  record(0, 0, 1, new Uint8Array(0), "TRAILER!!!");

  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
