// `npm run vm -- …`: boots one Hypertab machine headless in Node. COM1 is on stdin/stdout.

import { resolve } from "node:path";
import { buildMachineConfig, parseVmArgs, USAGE, UsageError } from "./vm/options.ts";
import { EXIT_BAD_CONFIG, EXIT_STOPPED, EXIT_USAGE, runMachine } from "./vm/run-machine.ts";
import { saveScreenshot, screenText } from "./vm/screen.ts";
import { consoleKeys } from "./vm/console-keys.ts";
import { loadStateFile, runnerVm, saveStateFile, type LoadedState } from "./vm/state-file.ts";
import type { Machine } from "../src/emulator/machine-api.ts";
import { restoreMachine } from "../src/hypervisor/snapshot/index.ts";

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
    if (opts.loadState === undefined) config = buildMachineConfig(opts, resolve(root, "public/bios"));
  } catch (e) {
    if (e instanceof UsageError || (e as Error).message) {
      console.error(`vm: ${(e as Error).message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }

  let loaded: LoadedState | null = null;
  if (opts.loadState !== undefined) {
    try {
      loaded = await loadStateFile(opts.loadState);
    } catch (e) {
      console.error(`vm: cannot resume ${opts.loadState}: ${(e as Error).message}`);
      return EXIT_BAD_CONFIG;
    }
    config = loaded.capture.config;
  }
  const machineConfig = config!;
  const vm = loaded?.vm ?? runnerVm(machineConfig, "npm run vm");
  let parentId = loaded?.id ?? null;
  /** Writes --save-state (one write at a time; the guest runs on while it is written). */
  let saving: Promise<void> = Promise.resolve();
  const saveState = (m: Machine) => {
    const path = opts.saveState;
    if (path === undefined) return saving;
    const write = saveStateFile(path, m, machineConfig, vm, parentId);
    saving = saving
      .then(() => write)
      .then(
        ({ bytes, manifest }) => {
          parentId = manifest.id;
          console.error(`\r\nvm: state saved to ${path} (${(bytes / 2 ** 20).toFixed(1)} MiB)\r`);
        },
        (e: unknown) => console.error(`\r\nvm: cannot save the state to ${path}: ${(e as Error).message}\r`),
      );
    return saving;
  };

  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  const out: number[] = [];
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (out.length) process.stdout.write(Uint8Array.from(out.splice(0)));
  };

  let machine: Machine | null = null;
  const outcome = await runMachine({
    config: machineConfig,
    ...(loaded ? { createMachine: () => restoreMachine(loaded.capture) } : {}),
    timeoutSeconds: opts.timeoutSeconds,
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
      if (raw) stdin.setRawMode(true);
      const keys = consoleKeys({
        input: (bytes) => control.input(bytes),
        quit: () => control.stop("quit (Ctrl-A x)", EXIT_STOPPED),
        saveState: () => void saveState(started),
      });
      // The escape keys only on a terminal: piped input goes to the guest as it is.
      stdin.on("data", (chunk: Buffer) => (raw ? keys(chunk) : control.input(new Uint8Array(chunk))));
      stdin.resume();
    },
  });
  flush();
  if (raw) stdin.setRawMode(false);
  stdin.pause();
  if (machine) await saveState(machine);
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
