// Replays a script of QEMU qtest commands (outb/inb/outw/inw/outl/inl/writeb/writel/read/memset,
// clock_step)
// against QEMU's own devices (qemu-system-i386 -qtest stdio, the CPU never runs) and against ours
// driven through an IOBus + PhysicalMemory, so tests can compare every answer register by register.

import { spawn, spawnSync } from "node:child_process";
import type { IOBus } from "../../src/emulator/io-bus.ts";
import type { PhysicalMemory } from "../../src/emulator/memory.ts";

export const QEMU = "qemu-system-i386";

export function qemuAvailable(): boolean {
  const r = spawnSync(QEMU, ["--version"], { encoding: "utf8" });
  return r.status === 0;
}

/** Polls no more often than this while QEMU finishes asynchronous work (file I/O in its main loop). */
const POLL_PAUSE_MS = 1;
/** Gives up on a device that never becomes idle (a hung QEMU, not a slow host: polls, not time). */
const MAX_IDLE_POLLS = 100_000;
/** Gives up on a QEMU that stops answering altogether. */
const REPLY_TIMEOUT_MS = 60_000;

/** "wait_idle PORT MASK": poll `inb PORT` until (value & MASK) === 0 (e.g. an ATA status port and BSY). */
export function waitIdleLine(port: number, mask: number): string {
  return `wait_idle 0x${port.toString(16)} 0x${mask.toString(16)}`;
}

/** The answer shape each command must get; a reply of another shape means the exchange lost step. */
function replyMatches(cmd: string, reply: string): boolean {
  if (cmd === "inb" || cmd === "inw" || cmd === "inl" || cmd === "read") return /^OK 0x[0-9a-f]+$/.test(reply);
  return reply === "OK";
}

/** Runs the script on QEMU, one command at a time, each reply matched to its request by order and
 *  checked against the shape that command answers with. "wait_idle PORT MASK" polls the port until
 *  the masked bits clear, so asynchronous device work (QEMU completes disk I/O in its main loop, later
 *  on a busy host) has finished whatever the host's speed; "clock_step N" waits N ms of real time
 *  (for devices without a busy bit). Returns one answer line per command ("OK", "OK 0x0080", ...). */
export async function runOnQemu(args: string[], script: string[]): Promise<string[]> {
  const child = spawn(QEMU, ["-machine", "pc", "-display", "none", "-nodefaults", "-qtest", "stdio", "-qtest-log", "/dev/null", ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  let buffered = "";
  let wake: (() => void) | null = null;
  child.stdout.on("data", (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      // Replies start with OK/ERR/FAIL; anything else (asynchronous "IRQ ..." events) is no reply.
      if (line.startsWith("OK") || line.startsWith("ERR") || line.startsWith("FAIL")) lines.push(line);
    }
    wake?.();
  });
  let exited = false;
  child.on("exit", () => {
    exited = true;
    wake?.();
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error(`qemu stopped answering; stderr: ${stderr}`)), REPLY_TIMEOUT_MS);
      const check = () => {
        if (lines.length > 0) {
          clearTimeout(timer);
          wake = null;
          resolveLine(lines.shift()!);
        } else if (exited) {
          clearTimeout(timer);
          reject(new Error(`qemu exited; stderr: ${stderr}`));
        } else wake = check;
      };
      check();
    });
  /** Sends one command and takes exactly its reply (QEMU answers each line before reading the next). */
  const exchange = async (line: string): Promise<string> => {
    if (lines.length > 0) throw new Error(`qtest: unrequested reply "${lines[0]}" before "${line}"`);
    child.stdin.write(line + "\n");
    const reply = await nextLine();
    const cmd = line.split(/\s+/)[0]!;
    if (!replyMatches(cmd, reply)) throw new Error(`qtest: "${line}" got the reply "${reply}"; stderr: ${stderr}`);
    return reply;
  };
  const answers: string[] = [];
  try {
    for (const cmd of script) {
      const [name, a, b] = cmd.trim().split(/\s+/);
      if (name === "clock_step") {
        await new Promise((r) => setTimeout(r, Number(a ?? 50)));
        answers.push("OK (clock)");
      } else if (name === "wait_idle") {
        const mask = Number(b);
        for (let polls = 0; ; polls++) {
          if (polls >= MAX_IDLE_POLLS) throw new Error(`qtest: port ${a} still busy (mask ${b}) after ${polls} polls`);
          if ((Number((await exchange(`inb ${a}`)).slice(3)) & mask) === 0) break;
          await new Promise((r) => setTimeout(r, POLL_PAUSE_MS));
        }
        answers.push("OK (idle)");
      } else answers.push(await exchange(cmd));
    }
  } finally {
    child.kill("SIGKILL");
  }
  return answers;
}

/**
 * Runs the script on QEMU `runs` times and keeps the answers of the first run, marking the lines
 * where the runs disagree: those depend on QEMU's host timing (seen once in CI on the PS/2 mouse
 * and keyboard), so QEMU is no oracle for them. Every other line must still match ours.
 */
export async function runOnQemuRepeated(args: string[], script: string[], runs = 3): Promise<{ answers: string[]; unstable: Set<number> }> {
  const first = await runOnQemu(args, script);
  const unstable = new Set<number>();
  for (let r = 1; r < runs; r++) {
    const again = await runOnQemu(args, script);
    for (let i = 0; i < script.length; i++) if (first[i] !== again[i]) unstable.add(i);
  }
  return { answers: first, unstable };
}

function hex(v: number, digits: number): string {
  return "0x" + (v >>> 0).toString(16).padStart(digits, "0");
}

/** Runs the same script on our devices; answers in qtest's format. */
export function runOnOurs(io: IOBus, memory: PhysicalMemory, script: string[]): string[] {
  return script.map((line) => {
    const [cmd, a, b, c] = line.trim().split(/\s+/);
    const n = (s: string) => Number(s);
    switch (cmd) {
      case "inb":
        return `OK ${hex(io.in8(n(a)), 4)}`;
      case "inw":
        return `OK ${hex(io.in16(n(a)), 4)}`;
      case "inl":
        return `OK ${hex(io.in32(n(a)), 4)}`;
      case "outb":
        io.out8(n(a), n(b));
        return "OK";
      case "outw":
        io.out16(n(a), n(b));
        return "OK";
      case "outl":
        io.out32(n(a), n(b));
        return "OK";
      case "writeb":
        memory.write8(n(a), n(b));
        return "OK";
      case "writel":
        memory.write32(n(a), n(b));
        return "OK";
      case "memset":
        memory.writeBytes(n(a), new Uint8Array(n(b)).fill(n(c)));
        return "OK";
      case "clock_step":
        return "OK (clock)"; // QEMU finishes asynchronous work (DMA, timers); ours is synchronous
      case "wait_idle":
        // Ours completes synchronously: the port must already read idle (else report the value).
        return (io.in8(n(a)) & n(b)) === 0 ? "OK (idle)" : `FAIL busy ${hex(io.in8(n(a)), 4)}`;
      case "read": {
        const bytes = memory.readBytes(n(a), n(b));
        return "OK 0x" + Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
      }
      default:
        throw new Error(`qtest replay: unsupported command "${line}"`);
    }
  });
}

/** Pairs script lines with both answers, keeping only mismatches (for readable failures). */
export function differences(script: string[], ours: string[], qemu: string[], ignore: (i: number) => boolean = () => false): string[] {
  const out: string[] = [];
  for (let i = 0; i < script.length; i++) {
    if (ignore(i) || script[i].startsWith("clock_step")) continue; // wait_idle lines are compared: both must be idle
    if (ours[i] !== qemu[i]) out.push(`#${i} ${script[i]}: ours ${ours[i].slice(0, 80)} qemu ${String(qemu[i]).slice(0, 80)}`);
  }
  return out;
}

/** A replay script with the reads we knowingly answer differently from QEMU marked as skipped. */
export class QtestScript {
  readonly lines: string[] = [];
  readonly skipped = new Set<number>();
  push(...l: string[]): void {
    this.lines.push(...l);
  }
  /** A read whose answer we knowingly differ on. */
  skip(line: string): void {
    this.skipped.add(this.lines.length);
    this.lines.push(line);
  }
  /** Lets QEMU finish asynchronous work (AIO): waits until BSY (bit 7) clears at an ATA status port. */
  waitNotBusy(altStatusPort: number): void {
    this.lines.push(waitIdleLine(altStatusPort, 0x80));
  }
  regs(base: number, skipError = false): void {
    for (let r = 1; r <= 7; r++) {
      const l = `inb 0x${(base + r).toString(16)}`;
      // Register 3 is reserved for packet devices (QEMU clears it, we keep the signature's 1).
      if ((r === 1 && skipError) || (r === 3 && base === 0x170)) this.skip(l);
      else this.push(l);
    }
  }
  words(port: number, n: number): void {
    for (let i = 0; i < n; i++) this.push(`inw 0x${port.toString(16)}`);
  }
}
