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

/** Laid out (so xterm can measure its font) and in the viewport (so xterm renders: it pauses a
 *  terminal that does not intersect it), but invisible, behind the page, not in the accessibility
 *  tree, and contained (its layouts never involve the page's). */
function parking(): HTMLElement {
  const park = document.createElement("div");
  park.setAttribute("aria-hidden", "true");
  park.style.cssText = "position:fixed;left:0;top:0;width:800px;height:400px;overflow:hidden;visibility:hidden;pointer-events:none;z-index:-1;contain:strict";
  document.body.appendChild(park);
  return park;
}

/** Every printable ASCII character, regular and bold (what consoles print; italic is rare). xterm's
 *  DOM renderer measures each glyph it has not seen once, by a forced layout: done here, in the
 *  contained parking element, a few glyphs a frame, those layouts are short and out of the way;
 *  done when a guest first prints the glyph, a screenful of them held the page up for tens of
 *  milliseconds. */
const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
const VARIANTS = ["0", "1"]; // SGR: regular, bold
const GLYPHS_PER_FRAME = 6;

/** Resolves in the next frame, after xterm has rendered what was written (its frame callback was
 *  requested first), or after `ms` in a hidden tab, where frames do not come. */
function nextFrame(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Opens `term` in a parked element, in a task of its own, renders the warm-up text in it a few
 *  glyphs a frame, and clears it again. */
async function openParked(term: Terminal): Promise<Terminal> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  term.open(parking());
  for (const sgr of VARIANTS) {
    for (let i = 0; i < ASCII.length; i += GLYPHS_PER_FRAME) {
      await new Promise<void>((resolve) => term.write(`\x1b[${sgr}m${ASCII.slice(i, i + GLYPHS_PER_FRAME)}\x1b[0m\r\n`, resolve));
      await nextFrame(100);
    }
  }
  term.reset();
  return term;
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
