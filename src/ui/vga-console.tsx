// VGA console: a canvas the display worker draws the guest's shared framebuffer on (see
// workers/display-worker.ts); keyboard events go to the guest's PS/2 keyboard by
// KeyboardEvent.code while the console has focus, the mouse after a double click (pointer lock).

import { memo, useEffect, useRef } from "react";
import { attachCanvas } from "./display.ts";
import { onFrame } from "./frame-loop.ts";
import type { VmIo } from "./vm-io.ts";

/** Memoised: the dashboard re-renders every stats tick, the console only when its VM changes. */
export const VgaConsole = memo(function VgaConsole(props: { io: VmIo; vmId: string }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const { io } = props;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    // Drawing happens in the display worker; the page only feeds input.
    const detach = attachCanvas(canvas, io.channels.framebuffer);
    const stop = onFrame(() => io.flush());
    return () => {
      stop();
      detach();
    };
  }, [io]);

  const onKey = (down: boolean) => (e: React.KeyboardEvent) => {
    if (e.code === "Tab" && e.shiftKey && e.ctrlKey) return; // leave a way out of the console
    if (io.sendKey(e.code, down)) e.preventDefault();
  };

  // The mouse is captured with pointer lock on a double click (Esc releases it), so that relative
  // motion reaches the guest's PS/2 mouse without the host pointer getting in the way.
  const locked = () => document.pointerLockElement === canvasRef.current;
  const buttonsOf = (e: React.MouseEvent) => (e.buttons & 1) | ((e.buttons & 2) ? 2 : 0) | ((e.buttons & 4) ? 4 : 0);
  const onMouse = (e: React.MouseEvent) => {
    if (!locked()) return;
    e.preventDefault();
    io.sendMouse(e.movementX, e.movementY, 0, buttonsOf(e));
  };

  return (
    <div
      className="vga"
      tabIndex={0}
      data-testid={`vga-${props.vmId}`}
      onKeyDown={onKey(true)}
      onKeyUp={onKey(false)}
      title="VGA console — click to type (PS/2 keyboard); double-click to capture the mouse, Esc to release"
    >
      <canvas
        ref={canvasRef}
        width={640}
        height={400}
        onDoubleClick={() => void canvasRef.current?.requestPointerLock?.()}
        onMouseMove={onMouse}
        onMouseDown={onMouse}
        onMouseUp={onMouse}
        onContextMenu={(e) => locked() && e.preventDefault()}
        onWheel={(e) => locked() && io.sendMouse(0, 0, Math.sign(e.deltaY), buttonsOf(e))}
      />
    </div>
  );
});
