// The initramfs cpio writer, checked with Debian's cpio (an independent reader).

import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "fflate";
import { describe, expect, test } from "vitest";
import { CpioError, writeCpioNewc } from "../../scripts/guests/cpio-newc.ts";
import { buildInitramfs, buildInitramfsCpio, GUEST_BANNER, GUEST_PROMPT } from "../../scripts/guests/initramfs.ts";
import { busyboxApplets } from "../../scripts/guests/busybox-applets.ts";

interface Listed {
  mode: string;
  size: number;
  name: string;
  target?: string;
}

/** `cpio -itv` over an archive, parsed: "-rwxr-xr-x   1 root root  5 Jan  1  1970 name [-> target]". */
function cpioList(archive: Uint8Array): Listed[] {
  const res = spawnSync("cpio", ["-itv", "--quiet"], { input: archive, encoding: "utf8" });
  expect(res.status, res.stderr).toBe(0);
  return res.stdout
    .trim()
    .split("\n")
    .map((line) => {
      const m = /^(\S{10})\s+\d+\s+\S+\s+\S+\s+(\d+|\d+,\s*\d+)\s+\w{3}\s+\d+\s+[\d:]+\s+(.+)$/.exec(line);
      if (!m) throw new Error(`unparsed cpio line: ${line}`);
      const [name, target] = m[3]!.split(" -> ");
      return { mode: m[1]!, size: m[2]!.includes(",") ? 0 : Number(m[2]), name: name!, target };
    });
}

/** A stand-in for busybox: some bytes around a NUL-separated sorted applet table. */
function fakeBusybox(applets: string[]): Uint8Array {
  const table = new TextEncoder().encode("\0" + applets.join("\0") + "\0\x7fELF-tail");
  const bin = new Uint8Array(4096 + table.length);
  bin.set(new TextEncoder().encode("\x7fELF fake busybox"), 0);
  bin.set(table, 2048);
  return bin;
}

describe("newc cpio writer", () => {
  test("directories, files, symlinks and device nodes read back with cpio -t", () => {
    const payload = new Uint8Array(1001).map((_, i) => (i * 7) & 0xff);
    const archive = writeCpioNewc([
      { kind: "dir", path: "bin" },
      { kind: "dir", path: "tmp", mode: 0o1777 },
      { kind: "file", path: "bin/tool", data: payload, mode: 0o755 },
      { kind: "file", path: "empty", data: new Uint8Array(0) },
      { kind: "symlink", path: "bin/alias", target: "tool" },
      { kind: "chardev", path: "console", major: 5, minor: 1 },
    ]);
    expect(archive.length % 4).toBe(0);
    const listed = cpioList(archive);
    expect(listed.map((e) => e.name)).toEqual(["bin", "tmp", "bin/tool", "empty", "bin/alias", "console"]);
    expect(listed[0]!.mode).toBe("drwxr-xr-x");
    expect(listed[1]!.mode).toBe("drwxrwxrwt");
    expect(listed[2]).toMatchObject({ mode: "-rwxr-xr-x", size: 1001 });
    expect(listed[3]).toMatchObject({ mode: "-rw-r--r--", size: 0 });
    expect(listed[4]).toMatchObject({ mode: "lrwxrwxrwx", target: "tool" });
    expect(listed[5]!.mode).toBe("crw-------");

    // Contents survive extraction byte for byte.
    const dir = mkdtempSync(join(tmpdir(), "cpio-test-"));
    try {
      const res = spawnSync("cpio", ["-id", "--quiet", "--no-absolute-filenames", "bin", "bin/tool", "bin/alias", "empty"], {
        input: archive,
        cwd: dir,
      });
      expect(res.status, String(res.stderr)).toBe(0);
      expect(new Uint8Array(readFileSync(join(dir, "bin/tool")))).toEqual(payload);
      expect(lstatSync(join(dir, "bin/alias")).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(dir, "bin/alias"))).toBe("tool");
      expect(lstatSync(join(dir, "bin/tool")).mode & 0o777).toBe(0o755);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("is deterministic and rejects unsafe or duplicate paths", () => {
    const entries = [{ kind: "file" as const, path: "a", data: new Uint8Array([1, 2, 3]) }];
    expect(writeCpioNewc(entries)).toEqual(writeCpioNewc(entries));
    expect(() => writeCpioNewc([{ kind: "dir", path: "/abs" }])).toThrow(CpioError);
    expect(() => writeCpioNewc([{ kind: "dir", path: "a/../b" }])).toThrow(/"\.\."/);
    expect(() => writeCpioNewc([{ kind: "dir", path: "x" }, { kind: "dir", path: "x" }])).toThrow(/duplicate/);
    expect(() => writeCpioNewc([{ kind: "file", path: "f", data: new Uint8Array(0), mode: 0o10000 }])).toThrow(/permission/);
  });
});

describe("Linux guest initramfs", () => {
  const applets = ["[", "[[", "cat", "echo", "init", "ls", "mount", "poweroff", "sh"];

  test("applet table is read from the binary", () => {
    expect(busyboxApplets(fakeBusybox(applets))).toEqual(applets);
    expect(() => busyboxApplets(new Uint8Array(100))).toThrow(/applet table not found/);
  });

  test("has /init, busybox, applet symlinks, /dev/console, and the banner and prompt", () => {
    const busybox = fakeBusybox(applets);
    const listed = cpioList(buildInitramfsCpio(busybox));
    const byName = new Map(listed.map((e) => [e.name, e]));
    expect(byName.get("init")).toMatchObject({ mode: "-rwxr-xr-x" });
    expect(byName.get("bin/busybox")).toMatchObject({ mode: "-rwxr-xr-x", size: busybox.length });
    for (const applet of applets) expect(byName.get(`bin/${applet}`), applet).toMatchObject({ mode: "lrwxrwxrwx", target: "busybox" });
    expect(byName.get("sbin")).toMatchObject({ mode: "lrwxrwxrwx", target: "bin" });
    expect(byName.get("dev/console")!.mode).toBe("crw-------");
    for (const d of ["proc", "sys", "dev", "etc", "tmp"]) expect(byName.get(d)!.mode[0]).toBe("d");

    const cpio = new TextDecoder("latin1").decode(buildInitramfsCpio(busybox));
    expect(cpio).toContain(`echo "${GUEST_BANNER}" > /dev/ttyS0`);
    expect(cpio).toContain("mount -t devtmpfs devtmpfs /dev");
    expect(cpio).toContain(`PS1='${GUEST_PROMPT}'`);
    expect(cpio).toContain("ttyS0::respawn:-/bin/sh");
  });

  test("gzip output unpacks to the same cpio archive, byte-identical across builds", () => {
    const busybox = fakeBusybox(applets);
    const gz = buildInitramfs(busybox);
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    expect(gunzipSync(gz)).toEqual(buildInitramfsCpio(busybox));
    expect(buildInitramfs(busybox)).toEqual(gz);
  });

  const built = resolve(import.meta.dirname, "../../public/guests/linux/initramfs.cpio.gz");
  test.runIf(existsSync(built))("the built guest initramfs lists real busybox applets", () => {
    const listed = cpioList(gunzipSync(new Uint8Array(readFileSync(built))));
    const names = new Set(listed.map((e) => e.name));
    for (const n of ["init", "bin/busybox", "bin/sh", "bin/mount", "bin/init", "dev/console"]) expect(names.has(n), n).toBe(true);
    expect(listed.filter((e) => e.target === "busybox").length).toBeGreaterThan(200);
  });
});
