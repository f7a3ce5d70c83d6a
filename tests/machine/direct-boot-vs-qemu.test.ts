// Direct boots behave as QEMU's `-kernel`: Multiboot kernels (one reads fw_cfg's CPU count, one
// searches for the MP table, one walks the SMBIOS structures, one is linked at 0x8000 with its bss
// up to 0xA84C) run through the `npm run vm` code path and under qemu-system-i386, and print the same
// lines with the same exit status. QEMU's output is read from its serial file once it has exited.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { buildMachineConfig, parseVmArgs } from "../../scripts/vm/options.ts";
import { runMachine } from "../../scripts/vm/run-machine.ts";
import { assemble } from "./run-helpers.ts";

const root = resolve(import.meta.dirname, "../..");
const haveNasm = spawnSync("sh", ["-c", "command -v nasm"]).status === 0;
const haveQemu = spawnSync("sh", ["-c", "command -v qemu-system-i386"]).status === 0;
const work = mkdtempSync(join(tmpdir(), "direct-boot-vs-qemu-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CMDLINE = "direct boot test";
/** Wall-clock guard against a hung run only (the kernels exit after a few thousand instructions). */
const RUN_TIMEOUT_S = 120;

interface Run {
  serial: string;
  status: number | null;
}

async function runOurs(kernelFile: string): Promise<Run> {
  const opts = parseVmArgs(["--kernel", kernelFile, "--append", CMDLINE, "--mem", "128", "--no-vga", "--timeout", String(RUN_TIMEOUT_S)]);
  let serial = "";
  const out = await runMachine({ config: buildMachineConfig(opts, join(root, "public/bios")), onSerial: (b) => (serial += String.fromCharCode(b)), timeoutSeconds: opts.timeoutSeconds });
  return { serial, status: out.status };
}

/** QEMU's pc machine without default devices, COM1 into a file, isa-debug-exit at 0xF4 as ours. */
function runQemu(kernelFile: string, name: string): Promise<Run> {
  const serialFile = join(work, `${name}.qemu-serial`);
  writeFileSync(serialFile, "");
  const args = ["-M", "pc", "-nodefaults", "-display", "none", "-no-reboot", "-m", "128", "-kernel", kernelFile, "-append", CMDLINE];
  args.push("-serial", `file:${serialFile}`, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04");
  return new Promise((resolveRun, reject) => {
    const child = spawn("qemu-system-i386", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_S * 1000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(guard);
      if (code === null) reject(new Error(`QEMU was killed after ${RUN_TIMEOUT_S} s; stderr: ${stderr}`));
      else resolveRun({ serial: readFileSync(serialFile, "latin1"), status: code });
    });
  });
}

describe.runIf(haveNasm)("direct Multiboot boots against QEMU -kernel", () => {
  const kernels: { name: string; expectOurs: RegExp }[] = [
    { name: "fwcfg-cpus", expectOurs: /^fw_cfg signature 'QEMU' id 0x00000003\ncpus 1, max cpus 1\n/ },
    { name: "mp-search", expectOurs: /^MP floating pointer: in the BIOS area .*\nPCMP rev 4, .*\n  cpu: APIC id 0, .*flags 0x03\n/ },
    { name: "smbios-search", expectOurs: /^SMBIOS 2\.8, 9 structures\n[^]*table length and largest structure agree with the entry point\n$/ },
    { name: "low-8000", expectOurs: /^linked at 0x8000: Multiboot magic ok, image intact, bss zero up to 0xa84c\n$/ },
  ];
  for (const k of kernels) {
    test(`${k.name}: the same output and exit status`, async () => {
      const file = join(work, `${k.name}.bin`);
      writeFileSync(file, assemble(k.name));
      const ours = await runOurs(file);
      expect(ours.serial).toMatch(k.expectOurs);
      expect(ours.status).toBe(1); // isa-debug-exit 0
      if (!haveQemu) return;
      const qemu = await runQemu(file, k.name);
      expect(ours.serial).toBe(qemu.serial);
      expect(ours.status).toBe(qemu.status);
    }, 300_000);
  }
});
