// Makes the serial consoles' xterm.js terminals. Loading xterm.js, constructing a Terminal and
// opening it (CSS, font measurement, renderer) are the costliest steps of showing a console (tens
// of milliseconds on the main thread), so the first one is prepared while the page starts and the
// hypervisor boots the VMs: built, then opened in a parked element off screen, each in its own
// task. A console later only moves the opened terminal's element into place.

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

/** Laid out (so xterm can measure its font) but off screen and not in the accessibility tree. */
function parking(): HTMLElement {
  const park = document.createElement("div");
  park.setAttribute("aria-hidden", "true");
  park.style.cssText = "position:absolute;left:-10000px;top:0;width:800px;height:400px;overflow:hidden;visibility:hidden";
  document.body.appendChild(park);
  return park;
}

/** Opens `term` in a parked element, in a task of its own. */
function openParked(term: Terminal): Promise<Terminal> {
  return new Promise((resolve) =>
    setTimeout(() => {
      term.open(parking());
      resolve(term);
    }, 0),
  );
}

/** Starts building a terminal for the next console (page start). */
export function prepareTerminal(): void {
  prepared ??= create().then(openParked);
}

/** An opened terminal for a console: the prepared one if there is one. */
export function takeTerminal(): Promise<Terminal> {
  const t = prepared ?? create().then(openParked);
  prepared = null;
  return t;
}

/** Moves an opened terminal's element into `host` (its parking element goes away). */
export function placeTerminal(term: Terminal, host: HTMLElement): void {
  const element = term.element;
  if (!element) throw new Error("terminal: not opened");
  const park = element.parentElement;
  host.appendChild(element);
  park?.remove();
  term.refresh(0, term.rows - 1);
}
