// Serial console (COM1): a TerminalScreen drawn as 25 text rows, updated on the console poll
// (frame-loop.ts) and only where rows changed, so no update costs more than a millisecond or two.
// Flow control both ways: the page reads the guest's output ring a bounded chunk per poll (a slow
// page holds the guest's UART via the full ring), and typed bytes wait in VmIo until the input
// ring has room. The mouse wheel scrolls back through earlier lines.

import { memo, useEffect, useRef } from "react";
import { onFrame, POLL_MS } from "./frame-loop.ts";
import { keyToTerminalInput } from "./terminal-keys.ts";
import { TerminalScreen } from "./terminal-screen.ts";
import type { VmIo } from "./vm-io.ts";

const CHUNK = 8192; // bytes parsed per poll at most (more when polls came late, see pump)
const MAX_CHUNK = 64 * 1024; // the whole ring
const COLS = 80;
const ROWS = 25;

/** Memoised: the dashboard re-renders every stats tick, the console only when its VM changes. */
export const SerialConsole = memo(function SerialConsole(props: { io: VmIo; vmId: string }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const { io } = props;

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const screen = new TerminalScreen(COLS, ROWS, 2000, (answer) => io.sendSerialText(answer));
    const pre = document.createElement("pre");
    pre.className = "term";
    const rowEls: HTMLDivElement[] = [];
    for (let y = 0; y < ROWS; y++) {
      const row = document.createElement("div");
      row.textContent = " ";
      rowEls.push(row);
      pre.appendChild(row);
    }
    const cursor = document.createElement("span");
    cursor.className = "term-cursor";
    pre.appendChild(cursor);
    host.appendChild(pre);

    let viewOffset = 0; // lines scrolled back from the live screen
    let drawnVersion = -1;
    let drawnOffset = 0;
    let cursorKey = "";
    const buf = new Uint8Array(MAX_CHUNK);
    let lastPoll = performance.now();

    const drawRow = (y: number, text: string) => {
      const el = rowEls[y];
      const t = text === "" ? " " : text;
      if (el.textContent !== t) el.textContent = t;
    };
    const draw = () => {
      if (screen.version === drawnVersion && viewOffset === drawnOffset) return;
      const back = screen.scrollback;
      viewOffset = Math.min(viewOffset, back.length);
      if (viewOffset === 0 && drawnOffset === 0) {
        for (const y of screen.dirty) drawRow(y, screen.rows[y].join("").trimEnd());
      } else {
        // Scrolled back: the view is the last ROWS lines of scrollback + screen, `viewOffset` up.
        for (let y = 0; y < ROWS; y++) {
          const line = back.length - viewOffset + y;
          drawRow(y, line < back.length ? back[line] : screen.rows[line - back.length].join("").trimEnd());
        }
      }
      screen.dirty.clear();
      const show = screen.cursorVisible && viewOffset === 0;
      const key = show ? `${screen.cursorX},${screen.cursorY}` : "hidden";
      if (key !== cursorKey) {
        cursorKey = key;
        cursor.style.display = show ? "" : "none";
        cursor.style.transform = `translate(${screen.cursorX}ch, ${screen.cursorY * 100}%)`;
      }
      drawnVersion = screen.version;
      drawnOffset = viewOffset;
    };
    const pump = () => {
      io.flush();
      // A background tab polls far less often (timer throttling): read proportionally more, so a
      // chatty guest held by the full ring is not slowed to the throttled rate.
      const now = performance.now();
      const late = Math.max(1, Math.floor((now - lastPoll) / POLL_MS));
      lastPoll = now;
      const n = io.readSerial(buf, Math.min(MAX_CHUNK, CHUNK * late));
      if (n > 0) {
        screen.writeBytes(buf.subarray(0, n));
        viewOffset = 0; // new output: follow it
      }
      draw();
    };
    const stop = onFrame(pump);

    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key === "Tab" && e.shiftKey && e.ctrlKey) return; // leave a way out of the console
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && (e.key === "C" || e.key === "V")) return; // host copy/paste
      const bytes = keyToTerminalInput(e);
      if (bytes === null) return;
      e.preventDefault();
      io.sendSerialText(bytes);
    };
    const onPaste = (e: ClipboardEvent) => {
      const text = e.clipboardData?.getData("text") ?? "";
      if (!text) return;
      e.preventDefault();
      io.sendSerialText(text.replace(/\r?\n/g, "\r"));
    };
    const onWheel = (e: WheelEvent) => {
      const lines = Math.round(e.deltaY / 20) || Math.sign(e.deltaY);
      const next = Math.max(0, Math.min(screen.scrollback.length, viewOffset - lines));
      if (next === viewOffset) return;
      e.preventDefault();
      viewOffset = next;
    };
    host.addEventListener("keydown", onKeyDown);
    host.addEventListener("paste", onPaste);
    host.addEventListener("wheel", onWheel, { passive: false });
    return () => {
      stop();
      host.removeEventListener("keydown", onKeyDown);
      host.removeEventListener("paste", onPaste);
      host.removeEventListener("wheel", onWheel);
      pre.remove();
    };
  }, [io]);

  return (
    <div
      className="serial"
      ref={hostRef}
      tabIndex={0}
      data-testid={`serial-${props.vmId}`}
      title="Serial console (COM1) — click to type; the mouse wheel scrolls back"
    />
  );
});
