// Serial console (COM1) in xterm.js (@xterm/xterm). Flow control both ways: the page reads the
// guest's output ring only while xterm has caught up with earlier writes, a bounded chunk per poll
// (a slow page holds the guest's UART via the full ring), and typed bytes wait in VmIo until the
// input ring has room. xterm.js is loaded apart from the page's first script (terminal-factory.ts).

import { memo, useEffect, useRef } from "react";
import "@xterm/xterm/css/xterm.css";
import type { Terminal } from "@xterm/xterm";
import { onFrame, POLL_MS } from "./frame-loop.ts";
import { placeTerminal, takeTerminal } from "./terminal-factory.ts";
import type { VmIo } from "./vm-io.ts";

const CHUNK = 4096; // bytes per poll: keeps each xterm parse short
const MAX_CHUNK = 64 * 1024; // the whole ring

/** Memoised: the dashboard re-renders every stats tick, the console only when its VM changes. */
export const SerialConsole = memo(function SerialConsole(props: { io: VmIo; vmId: string }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const { io } = props;

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    let cleanup: (() => void) | null = null;
    let cancelled = false;
    void takeTerminal().then((term) => {
      if (cancelled) term.dispose();
      else cleanup = mount(term, host, io);
    });
    return () => {
      cancelled = true;
      cleanup?.();
    };
  }, [io]);

  return <div className="serial" ref={hostRef} data-testid={`serial-${props.vmId}`} title="Serial console (COM1)" />;
});

function mount(term: Terminal, host: HTMLDivElement, io: VmIo): () => void {
  placeTerminal(term, host);
  const sub = term.onData((data) => io.sendSerialText(data));
  let inFlight = 0;
  const buf = new Uint8Array(MAX_CHUNK);
  let lastPoll = performance.now();
  const pump = () => {
    io.flush();
    // A background tab polls far less often (timer throttling): read proportionally more, so a
    // chatty guest held by the full ring is not slowed to the throttled rate.
    const now = performance.now();
    const late = Math.max(1, Math.floor((now - lastPoll) / POLL_MS));
    lastPoll = now;
    if (inFlight > 1) return;
    const n = io.readSerial(buf, Math.min(MAX_CHUNK, CHUNK * late));
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
    host.replaceChildren();
  };
}
