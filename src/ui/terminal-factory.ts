// Makes the serial consoles' xterm.js terminals. Loading xterm.js and constructing a Terminal is
// the costliest step of showing a console (tens of milliseconds on the main thread), so the first
// one is prepared while the page starts and the hypervisor boots the VMs; opening it into the
// console's element later is a separate, shorter task.

import type { Terminal } from "@xterm/xterm";

const OPTIONS = {
  cols: 80,
  rows: 25,
  fontSize: 12,
  fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, monospace",
  convertEol: false,
  scrollback: 2000,
  theme: { background: "#0b0f14", foreground: "#d7dde5", cursor: "#7fd1b9" },
};

let prepared: Promise<Terminal> | null = null;

function create(): Promise<Terminal> {
  return import("@xterm/xterm").then(({ Terminal }) => new Terminal(OPTIONS));
}

/** Starts building a terminal for the next console (page start). */
export function prepareTerminal(): void {
  prepared ??= create();
}

/** A terminal not yet opened anywhere: the prepared one if there is one. */
export function takeTerminal(): Promise<Terminal> {
  const t = prepared ?? create();
  prepared = null;
  return t;
}
