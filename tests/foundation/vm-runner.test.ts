// The Node runner: option parsing, kernel detection, the run loop's exit statuses, and a real
// Multiboot program through `npm run vm` compared with QEMU's exit status.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Machine, SliceResult } from "../../src/emulator/machine-api.ts";
import { detectKernelFormat, findMultibootHeader } from "../../scripts/vm/kernel-format.ts";
import { buildMachineConfig, parseVmArgs, UsageError } from "../../scripts/vm/options.ts";
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
});
