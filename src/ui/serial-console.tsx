// Serial console (COM1) in xterm.js. Flow control both ways: the page reads the guest's output
// ring only while xterm has caught up with earlier writes (a slow page holds the guest's UART via
// the full ring), and typed bytes wait in VmIo until the input ring has room.

import { useEffect, useRef } from "react";
import "@xterm/xterm/css/xterm.css";
import { onFrame } from "./frame-loop.ts";
import type { VmIo } from "./vm-io.ts";

const CHUNK = 4096; // per frame: keeps each xterm parse short

export function SerialConsole(props: { io: VmIo; vmId: string }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const { io } = props;

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    let cleanup: (() => void) | null = null;
    let cancelled = false;
    // xterm.js is loaded on first use, keeping the page's first script short.
    void import("@xterm/xterm").then(({ Terminal }) => {
      if (cancelled) return;
      cleanup = mount(Terminal, host);
    });
    return () => {
      cancelled = true;
      cleanup?.();
    };
  }, [io]);

  function mount(Terminal: typeof import("@xterm/xterm").Terminal, host: HTMLDivElement): () => void {
    const term = new Terminal({
      cols: 80,
      rows: 25,
      fontSize: 12,
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, monospace",
      convertEol: false,
      scrollback: 2000,
      theme: { background: "#0b0f14", foreground: "#d7dde5", cursor: "#7fd1b9" },
    });
    term.open(host);
    const sub = term.onData((data) => io.sendSerialText(data));
    let inFlight = 0;
    const buf = new Uint8Array(CHUNK);
    const pump = () => {
      io.flush();
      if (inFlight > 1) return;
      const n = io.readSerial(buf, CHUNK);
      if (n > 0) {
        inFlight++;
        term.write(buf.slice(0, n), () => inFlight--);
      }
    };
    const stop = onFrame(pump);
    return () => {
      stop();
      sub.dispose();
      term.dispose();
    };
  }

  return <div className="serial" ref={hostRef} data-testid={`serial-${props.vmId}`} title="Serial console (COM1)" />;
}
