// Acceptance (issue 15): Debian's gdb attaches to `npm run vm -- --gdb` running a Multiboot test
// kernel with symbols, stops at a breakpoint on a named function, reads the registers the program
// set, single-steps, sets a watchpoint that fires on the expected write, and continues to the
// program's exit.

import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { parseVmArgs } from "../../scripts/vm/options.ts";
import { buildGdbTarget, canBuildTarget, haveTool, targetSymbols } from "./gdb-target.ts";

const root = resolve(import.meta.dirname, "../..");
/** Guards against a hung run only (the session takes a few seconds). */
const GUARD_S = 120;

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): { exited: Promise<Exited>; stderr: () => string } {
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exited>((done, fail) => {
    child.on("error", fail);
    child.on("exit", (code) => done({ code, stdout, stderr }));
  });
  return { exited, stderr: () => stderr };
}

describe("--gdb PORT", () => {
  test("takes a TCP port (0 = any free one) and names a bad value", () => {
    expect(parseVmArgs(["--kernel", "k.elf", "--gdb", "1234"]).gdbPort).toBe(1234);
    expect(parseVmArgs(["--kernel", "k.elf", "--gdb=0"]).gdbPort).toBe(0);
    expect(parseVmArgs(["--kernel", "k.elf"]).gdbPort).toBeUndefined();
    expect(() => parseVmArgs(["--kernel", "k.elf", "--gdb", "65536"])).toThrow('--gdb must be a TCP port 0..65535, got "65536"');
    expect(() => parseVmArgs(["--kernel", "k.elf", "--gdb", "tcp::1234"])).toThrow("--gdb must be a TCP port");
  });
});

describe.runIf(canBuildTarget && haveTool("gdb"))("desktop gdb against npm run vm -- --gdb", () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  });

  test("breakpoint on set_values, registers, stepi, watchpoint on counter, run to the exit", async () => {
    const elf = buildGdbTarget();
    const sym = targetSymbols(elf);
    const vm = spawn(join(root, "node_modules/.bin/tsx"), ["scripts/vm.ts", "--kernel", elf, "--no-vga", "--gdb", "0", "--timeout", String(GUARD_S)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(vm);
    const vmRun = collect(vm);
    // The runner prints the port it listens on (0 picked a free one), then waits for gdb.
    const port = await new Promise<number>((done, fail) => {
      const poll = setInterval(() => {
        const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(vmRun.stderr());
        if (m) {
          clearInterval(poll);
          done(Number(m[1]));
        } else if (vm.exitCode !== null) {
          clearInterval(poll);
          fail(new Error(`vm exited early: ${vmRun.stderr()}`));
        }
      }, 50);
    });

    const commands = [
      "set architecture i386",
      `target remote 127.0.0.1:${port}`,
      "break set_values",
      "continue",
      "info registers eax ebx ecx esi edi eip",
      "print/x $pc",
      "stepi",
      "print/x $pc",
      "print/x $edx",
      "watch *(int*)&counter",
      "continue",
      "delete",
      "continue",
    ];
    const gdb = spawn("gdb", ["-batch", "-nx", ...commands.flatMap((c) => ["-ex", c]), elf], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(gdb);
    const guard = setTimeout(() => gdb.kill("SIGKILL"), GUARD_S * 1000);
    const session = await collect(gdb).exited;
    clearTimeout(guard);
    const out = session.stdout + session.stderr;
    console.log(`gdb session transcript:\n${out}`);

    const setValues = sym.get("set_values")!;
    const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
    // Attached at the kernel's entry point, stopped at the breakpoint on the named function.
    expect(out).toContain(`${hex(sym.get("_start")!)} in _start ()`);
    expect(out).toContain(`Breakpoint 1, ${hex(setValues)} in set_values ()`);
    // The registers _start set before the call.
    expect(out).toMatch(/^eax\s+0xc0de0001\s/m);
    expect(out).toMatch(/^ebx\s+0xc0de0002\s/m);
    expect(out).toMatch(/^ecx\s+0xc0de0003\s/m);
    expect(out).toMatch(/^esi\s+0xc0de0006\s/m);
    expect(out).toMatch(/^edi\s+0xc0de0007\s/m);
    expect(out).toMatch(new RegExp(`^eip\\s+0x${setValues.toString(16)}\\s+0x${setValues.toString(16)} <set_values>`, "m"));
    // stepi runs `mov edx, 0x5E7D0A1A` (5 bytes): EIP moves by 5 and EDX has the new value.
    const pcs = [...out.matchAll(/^\$\d+ = (0x[0-9a-f]+)$/gm)].map((m) => parseInt(m[1]!, 16));
    expect(pcs).toEqual([setValues, setValues + 5, 0x5e7d0a1a]);
    // The watchpoint fires on bump's first write to counter (0 -> 1), after the writing instruction.
    expect(out).toMatch(/Hardware watchpoint 2: \*\(int\*\)&counter\s+Old value = 0\s+New value = 1\s+0x[0-9a-f]+ in bump \(\)/);
    // Without it, the program runs to isa-debug-exit 0x10: status 0x21 = 041.
    expect(out).toContain("exited with code 041");

    const run = await vmRun.exited;
    expect(run.stdout).toBe("done\n");
    expect(run.code).toBe(0x21);
  }, GUARD_S * 1000 + 30_000);
});
