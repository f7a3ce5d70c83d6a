// `npm run vm -- …`: boots one Hypertab machine headless in Node. COM1 is on stdin/stdout.

import { resolve } from "node:path";
import { buildMachineConfig, parseVmArgs, USAGE, UsageError } from "./vm/options.ts";
import { EXIT_STOPPED, EXIT_USAGE, runMachine } from "./vm/run-machine.ts";
import { saveScreenshot, screenText } from "./vm/screen.ts";
import { GdbServer } from "./vm/gdb-server.ts";
import type { Machine } from "../src/emulator/machine-api.ts";
import { LocalNetwork } from "./vm/local-network.ts";

const root = resolve(import.meta.dirname, "..");

async function main(): Promise<number> {
  let config;
  let opts;
  try {
    opts = parseVmArgs(process.argv.slice(2));
    if (opts.help) {
      console.log(USAGE);
      return 0;
    }
    config = buildMachineConfig(opts, resolve(root, "public/bios"));
  } catch (e) {
    if (e instanceof UsageError || (e as Error).message) {
      console.error(`vm: ${(e as Error).message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }

  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  const out: number[] = [];
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (out.length) process.stdout.write(Uint8Array.from(out.splice(0)));
  };

  let gdb: GdbServer | null = null;
  if (opts.gdbPort !== undefined) {
    try {
      gdb = await GdbServer.listen(opts.gdbPort);
    } catch (e) {
      console.error(`vm: ${(e as Error).message}`);
      return EXIT_USAGE;
    }
    console.error(`vm: waiting for gdb on 127.0.0.1:${gdb.port} (target remote :${gdb.port})`);
  }

  let machine: Machine | null = null;
  // --nic cards: on virtual switches in this process (DHCP, DNS and ping at 10.0.2.2).
  const network = opts.nics?.length ? new LocalNetwork() : null;
  const outcome = await runMachine({
    config,
    timeoutSeconds: opts.timeoutSeconds,
    hold: gdb ?? undefined,
    afterSlice: network ? () => void network.pump() : undefined,
    onSerial: (byte) => {
      out.push(byte);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
    onDebugcon: opts.debugcon ? (byte) => process.stderr.write(Uint8Array.of(byte)) : undefined,
    onStart: (started, control) => {
      machine = started;
      gdb?.attach(started, control);
      network?.plug(started, "vm", opts.nicNetworks);
      if (raw) stdin.setRawMode(true);
      let escape = false;
      stdin.on("data", (chunk: Buffer) => {
        // Ctrl-A x quits (as in QEMU) when stdin is a terminal; Ctrl-A Ctrl-A sends one Ctrl-A.
        if (raw) {
          for (const byte of chunk) {
            if (escape) {
              escape = false;
              if (byte === 0x78 /* x */) control.stop("quit (Ctrl-A x)", EXIT_STOPPED);
              else control.input(Uint8Array.of(byte));
            } else if (byte === 0x01) escape = true;
            else control.input(Uint8Array.of(byte));
          }
        } else control.input(new Uint8Array(chunk));
      });
      stdin.resume();
    },
  });
  flush();
  gdb?.close();
  if (raw) stdin.setRawMode(false);
  stdin.pause();
  const vga = (machine as Machine | null)?.vga;
  if (vga && opts.screenshot !== undefined) {
    try {
      const { width, height } = saveScreenshot(vga, opts.screenshot);
      if (process.env.HYPERTAB_VM_VERBOSE) console.error(`vm: screenshot ${width}x${height} saved to ${opts.screenshot}`);
    } catch (e) {
      console.error(`vm: cannot save the screenshot to ${opts.screenshot}: ${(e as Error).message}`);
    }
  }
  if (vga && opts.screenText) {
    const text = screenText(vga);
    if (text === null) console.error("vm: --screen-text: the screen is in a graphics mode (use --screenshot)");
    else process.stdout.write(text);
  }
  if (outcome.end !== "power-off" && outcome.end !== "debug-exit") console.error(`\nvm: ${outcome.message}`);
  else if (process.env.HYPERTAB_VM_VERBOSE) console.error(`\nvm: ${outcome.message} (status ${outcome.status})`);
  return outcome.status;
}

process.exitCode = await main();
// Do not wait for stdin or stray timers.
process.exit(process.exitCode);
