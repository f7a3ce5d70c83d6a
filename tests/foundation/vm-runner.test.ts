// The Node runner: option parsing (every drive position), kernel detection, the run loop's exit
// statuses, the PNG encoder, and real Multiboot programs through `npm run vm` (compared with QEMU's
// exit status; the VGA screen saved at exit).

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { unzlibSync } from "fflate";
import { afterAll, describe, expect, test } from "vitest";
import type { Machine, SliceResult } from "../../src/emulator/machine-api.ts";
import { detectKernelFormat, findMultibootHeader } from "../../scripts/vm/kernel-format.ts";
import { buildMachineConfig, parseVmArgs, UsageError } from "../../scripts/vm/options.ts";
import { encodePng } from "../../src/hypervisor/png.ts";
import { EXIT_BAD_CONFIG, EXIT_CRASHED, EXIT_NOT_READY, EXIT_TIMEOUT, runMachine } from "../../scripts/vm/run-machine.ts";

const root = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "vm-runner-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function multibootImage(): Uint8Array {
  const img = new Uint8Array(64);
  const v = new DataView(img.buffer);
  v.setUint32(8, 0x1badb002, true);
  v.setUint32(12, 0x00010000, true);
  v.setUint32(16, (-(0x1badb002 + 0x00010000)) >>> 0, true);
  return img;
}

function bzImage(): Uint8Array {
  const img = new Uint8Array(1024);
  img[0x1fe] = 0x55;
  img[0x1ff] = 0xaa;
  img.set([0x48, 0x64, 0x72, 0x53], 0x202);
  return img;
}

describe("options", () => {
  test("parses QEMU-style options", () => {
    const o = parseVmArgs(["--mem", "256", "--kernel", "k", "--initrd=i", "--append", "console=ttyS0 x=1", "--timeout", "2.5", "--debugcon"]);
    expect(o).toMatchObject({ memMiB: 256, kernel: "k", initrd: "i", append: "console=ttyS0 x=1", timeoutSeconds: 2.5, debugcon: true });
  });

  test("names what is wrong", () => {
    expect(() => parseVmArgs(["--mem", "lots", "--kernel", "k"])).toThrow(/--mem/);
    expect(() => parseVmArgs(["--boot", "z", "--fda", "f"])).toThrow(/--boot must be a, c or d/);
    expect(() => parseVmArgs(["--frobnicate"])).toThrow(/unknown option --frobnicate/);
    expect(() => parseVmArgs([])).toThrow(/nothing to boot/);
    expect(() => parseVmArgs(["--initrd", "i", "--fda", "f"])).toThrow(UsageError);
    expect(() => parseVmArgs(["--kernel"])).toThrow(/needs a value/);
  });

  test("takes every drive position once, and --cdrom only where --hdc is not", () => {
    const o = parseVmArgs(["--hda", "a", "--hdb", "b", "--hdd", "d", "--fda", "f0", "--fdb", "f1", "--cdrom", "cd"]);
    expect(o).toMatchObject({ hda: "a", hdb: "b", hdd: "d", fda: "f0", fdb: "f1", cdrom: "cd" });
    expect(parseVmArgs(["--hdc", "c"]).hdc).toBe("c");
    expect(() => parseVmArgs(["--hdb", "x", "--hdb=y"])).toThrow(/--hdb given twice/);
    expect(() => parseVmArgs(["--fda", "x", "--fda", "y"])).toThrow(/--fda given twice/);
    expect(() => parseVmArgs(["--cdrom", "cd", "--hdc", "c"])).toThrow(/--cdrom and --hdc both want the secondary master/);
    expect(() => parseVmArgs(["--hdd", "d", "--no-vga", "--screenshot", "s.png"])).toThrow(/need the VGA card/);
    expect(() => parseVmArgs(["--hdd", "d", "--no-vga", "--screen-text"])).toThrow(UsageError);
    expect(parseVmArgs(["--fdb", "f", "--screenshot", "s.png", "--screen-text"])).toMatchObject({ screenshot: "s.png", screenText: true });
  });

  test("detects bzImage and Multiboot kernels", () => {
    expect(detectKernelFormat(bzImage())).toBe("bzimage");
    expect(findMultibootHeader(multibootImage())).toBe(8);
    expect(detectKernelFormat(multibootImage())).toBe("multiboot");
    const elf = new Uint8Array(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46]);
    expect(() => detectKernelFormat(elf, "x.elf")).toThrow(/ELF file without a Multiboot v1 header/);
    const bad = multibootImage();
    bad[16] ^= 1; // checksum off by one
    expect(() => detectKernelFormat(bad)).toThrow(/neither/);
  });

  test("builds a MachineConfig: direct boot, drives, boot order", () => {
    const k = join(work, "bz");
    const mb = join(work, "mb");
    const fda = join(work, "fda.img");
    const cd = join(work, "cd.iso");
    const bios = join(work, "bios.bin");
    writeFileSync(k, bzImage());
    writeFileSync(mb, multibootImage());
    writeFileSync(fda, new Uint8Array(1474560));
    writeFileSync(cd, new Uint8Array(2048 * 4));
    writeFileSync(bios, new Uint8Array(131072));

    const linux = buildMachineConfig(parseVmArgs(["--kernel", k, "--initrd", fda, "--append", "quiet", "--mem", "64"]), work);
    expect(linux.memoryMiB).toBe(64);
    expect(linux.boot).toMatchObject({ kind: "linux", cmdline: "quiet" });
    expect(linux.bios?.length).toBe(131072); // default firmware from the given folder
    expect(linux.cards.map((c) => c.type)).toEqual(["serial", "ps2", "debug-exit", "vga"]);

    expect(buildMachineConfig(parseVmArgs(["--kernel", mb, "--no-vga", "--debugcon"]), work).boot.kind).toBe("multiboot");
    expect(() => buildMachineConfig(parseVmArgs(["--kernel", mb, "--initrd", fda]), work)).toThrow(/only for Linux/);

    const fw = buildMachineConfig(parseVmArgs(["--fda", fda, "--cdrom", cd, "--boot", "d"]), work);
    expect(fw.boot).toEqual({ kind: "firmware", order: ["cdrom", "floppy"] });
    expect(fw.cards).toContainEqual(expect.objectContaining({ type: "ide-cdrom", channel: 1, slave: false }));
    expect(() => buildMachineConfig(parseVmArgs(["--fda", fda, "--boot", "c"]), work)).toThrow(/no disk image/);
    expect(() => buildMachineConfig(parseVmArgs(["--fda", join(work, "missing.img")]), work)).toThrow(/not found/);

    // QEMU's positions: hdb primary slave, hdc secondary master, hdd secondary slave, fdb drive B:.
    const all = buildMachineConfig(parseVmArgs(["--hdb", fda, "--hdc", fda, "--hdd", fda, "--fdb", fda, "--boot", "c"]), work);
    const drives = all.cards.flatMap((c) => (c.type === "ide-disk" ? [`disk ${c.channel}/${c.slave ? "slave" : "master"}`] : c.type === "floppy" ? [`floppy ${c.drive}`] : []));
    expect(drives).toEqual(["floppy 1", "disk 0/slave", "disk 1/master", "disk 1/slave"]);
    expect(all.boot).toEqual({ kind: "firmware", order: ["disk", "floppy"] });
    const cdAndSlave = buildMachineConfig(parseVmArgs(["--cdrom", cd, "--hdd", fda]), work);
    expect(cdAndSlave.cards).toContainEqual(expect.objectContaining({ type: "ide-disk", channel: 1, slave: true }));
    expect(cdAndSlave.cards).toContainEqual(expect.objectContaining({ type: "ide-cdrom", channel: 1, slave: false }));
  });
});

/** The image header and decoded RGBA pixels of a PNG written by encodePng (filter 0 rows only). */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  for (;;) {
    const len = v.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = v.getUint32(at + 8);
      height = v.getUint32(at + 12);
      expect([data[8], data[9]]).toEqual([8, 6]); // 8-bit RGBA
    }
    if (type === "IDAT") idat.push(data);
    at += 12 + len;
    if (type === "IEND") break;
  }
  const raw = unzlibSync(Uint8Array.from(idat.flatMap((d) => [...d])));
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    rgba.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, rgba };
}

describe("PNG encoder", () => {
  test("round-trips RGBA pixels through IHDR, zlib IDAT and IEND", () => {
    const pixels = new Uint8Array(3 * 2 * 4).map((_, i) => (i * 37) & 0xff);
    const png = decodePng(encodePng(3, 2, pixels));
    expect(png).toMatchObject({ width: 3, height: 2 });
    expect([...png.rgba]).toEqual([...pixels]);
    expect(() => encodePng(0, 2, pixels)).toThrow(/bad size/);
    expect(() => encodePng(4, 4, pixels)).toThrow(/needs 64/);
  });
});

/** A scripted stand-in machine: runs `script` slice results in order, then repeats the last. */
function fakeMachine(script: Partial<SliceResult>[], end?: { exitStatus: number | null; stopReason: string }) {
  let i = 0;
  let instructions = 0;
  const received: number[] = [];
  let fifoRoom = 2;
  const m = {
    state: "running",
    stopReason: "",
    exitStatus: null as number | null,
    serial: [
      {
        onTransmit() {},
        receive(b: number) {
          if (fifoRoom === 0) return false;
          fifoRoom--;
          received.push(b);
          return true;
        },
      },
    ],
    onDebugcon() {},
    runSlice(): SliceResult {
      const step = script[Math.min(i++, script.length - 1)]!;
      fifoRoom = 2; // the guest drains its FIFO each slice
      instructions += step.executed ?? 1000;
      if (step.reason === "powered-off" || step.reason === "crashed") {
        m.exitStatus = end?.exitStatus ?? null;
        m.stopReason = end?.stopReason ?? "";
      }
      return { executed: 1000, reason: "budget", nextDeadlineNs: 0, ...step };
    },
    stats: () => ({ instructions, interrupts: 0, io: {} as never, uptimeNs: 0 }),
  };
  return { machine: m as unknown as Machine, received };
}

describe("run loop", () => {
  test("isa-debug-exit status and reason are passed through", async () => {
    const { machine } = fakeMachine([{}, {}, { reason: "powered-off" }], { exitStatus: 0x21, stopReason: "isa-debug-exit 0x10" });
    const out = await runMachine({ config: {} as never, createMachine: () => machine });
    expect(out).toMatchObject({ status: 0x21, end: "debug-exit", instructions: 3000 });
  });

  test("ACPI power-off exits 0, a crash exits with its own status", async () => {
    const off = fakeMachine([{ reason: "powered-off" }], { exitStatus: 0, stopReason: "ACPI S5" });
    expect(await runMachine({ config: {} as never, createMachine: () => off.machine })).toMatchObject({ status: 0, end: "power-off" });
    const crash = fakeMachine([{ reason: "crashed" }], { exitStatus: null, stopReason: "triple fault" });
    const out = await runMachine({ config: {} as never, createMachine: () => crash.machine });
    expect(out).toMatchObject({ status: EXIT_CRASHED, end: "crashed" });
    expect(out.message).toContain("triple fault");
  });

  test("a timeout ends a guest that keeps running or sleeping", async () => {
    const { machine } = fakeMachine([{}, { reason: "halted", nextDeadlineNs: 5_000_000 }]);
    const out = await runMachine({ config: {} as never, createMachine: () => machine, timeoutSeconds: 0.2 });
    expect(out.status).toBe(EXIT_TIMEOUT);
    expect(out.wallSeconds).toBeGreaterThanOrEqual(0.2);
    expect(out.wallSeconds).toBeLessThan(2);
  });

  test("host input reaches COM1 as the FIFO has room, and stop() ends the run", async () => {
    const { machine, received } = fakeMachine([{}]);
    const out = await runMachine({
      config: {} as never,
      createMachine: () => machine,
      onStart: (_m, control) => {
        control.input("hello");
        setTimeout(() => control.stop("done"), 50);
      },
    });
    expect(String.fromCharCode(...received)).toBe("hello");
    expect(out).toMatchObject({ end: "stopped", message: "done" });
  });

  test("a machine that cannot be built reports the loader's message, not a stack trace", async () => {
    const out = await runMachine({
      config: {} as never,
      createMachine: () => {
        const e = new Error("kernel: segment overlaps the reserved area");
        e.name = "BootImageError";
        throw e;
      },
    });
    expect(out).toMatchObject({ status: EXIT_BAD_CONFIG, end: "bad-config" });
    expect(out.message).toContain("BootImageError: kernel: segment overlaps");
  });

  test("an emulator that cannot boot yet is reported plainly", async () => {
    const out = await runMachine({
      config: {} as never,
      createMachine: () => {
        const e = new Error("not yet");
        e.name = "EmulatorNotReadyError";
        throw e;
      },
    });
    expect(out).toMatchObject({ status: EXIT_NOT_READY, end: "not-ready" });
    expect(out.message).toContain("cannot boot this yet");
  });
});

const haveNasm = spawnSync("sh", ["-c", "command -v nasm"]).status === 0;
const haveQemu = spawnSync("sh", ["-c", "command -v qemu-system-i386"]).status === 0;

describe.runIf(haveNasm)("npm run vm with a Multiboot program", () => {
  const asm = `bits 32
org 0x100000
hdr: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), hdr, 0x100000, 0, 0, start
start: mov esi, msg
.l: lodsb
  test al, al
  jz .done
  out 0xE9, al
  mov dx, 0x3F8
  out dx, al
  jmp .l
.done: mov al, 0x10
  out 0xF4, al
  hlt
msg: db "multiboot ok", 10, 0
`;
  const bin = join(work, "hello.bin");

  test("serial, debugcon and isa-debug-exit status match QEMU", () => {
    writeFileSync(join(work, "hello.asm"), asm);
    const nasm = spawnSync("nasm", ["-f", "bin", "-o", bin, join(work, "hello.asm")], { encoding: "utf8" });
    expect(nasm.status, nasm.stderr).toBe(0);
    const ours = spawnSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "scripts/vm.ts"), "--kernel", bin, "--debugcon", "--timeout", "30"], {
      encoding: "utf8",
      input: "",
      timeout: 60_000,
    });
    expect(ours.stdout).toBe("multiboot ok\n");
    expect(ours.stderr).toContain("multiboot ok\n");
    expect(ours.status).toBe((0x10 << 1) | 1);
    if (haveQemu) {
      const qemu = spawnSync(
        "qemu-system-i386",
        ["-kernel", bin, "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-monitor", "none"],
        { encoding: "utf8", timeout: 30_000 },
      );
      expect(qemu.stdout).toBe(ours.stdout);
      expect(qemu.status).toBe(ours.status);
    }
  });

  test("--screen-text prints and --screenshot saves the VGA screen at exit", () => {
    writeFileSync(
      join(work, "screen.asm"),
      `bits 32
org 0x100000
hdr: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), hdr, 0x100000, 0, 0, start
start: mov esi, msg
  mov edi, 0xb8000 + 160
.l: lodsb
  test al, al
  jz .done
  mov ah, 0x1f
  stosw
  jmp .l
.done: mov al, 0
  out 0xF4, al
  hlt
msg: db "screen text ok", 0
`,
    );
    const screenBin = join(work, "screen.bin");
    const shot = join(work, "screen.png");
    const nasm = spawnSync("nasm", ["-f", "bin", "-o", screenBin, join(work, "screen.asm")], { encoding: "utf8" });
    expect(nasm.status, nasm.stderr).toBe(0);
    const run = spawnSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "scripts/vm.ts"), "--kernel", screenBin, "--screen-text", "--screenshot", shot, "--timeout", "30"], {
      encoding: "utf8",
      input: "",
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(1);
    const rows = run.stdout.split("\n");
    expect(rows[1]).toBe("screen text ok");
    expect(rows.length).toBe(26); // 25 rows, then the final newline
    expect(existsSync(shot)).toBe(true);
    const png = decodePng(new Uint8Array(readFileSync(shot)));
    expect(png).toMatchObject({ width: 720, height: 400 }); // 80x25 cells of 9x16 dots
    // Row 1 (y 16-31) starts on attribute 0x1F's blue background; row 0 is black.
    const pixel = (x: number, y: number) => [...png.rgba.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
    expect(pixel(0, 16)).toEqual([0, 0, 0xaa]);
    expect(pixel(0, 0)).toEqual([0, 0, 0]);
  });
});
