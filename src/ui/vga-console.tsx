// VGA console: draws the guest's shared framebuffer on a canvas, only the rows whose generation
// stamp is newer than the last drawn frame; keyboard events go to the guest's PS/2 keyboard by
// KeyboardEvent.code while the console has focus.

import { useEffect, useRef } from "react";
import { Fb, framebufferViews } from "../hypervisor/shared-layout.ts";
import { onFrame } from "./frame-loop.ts";
import type { VmIo } from "./vm-io.ts";

export function VgaConsole(props: { io: VmIo; vmId: string }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const { io } = props;

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext("2d", { alpha: false });
    if (!canvas || !ctx) return;
    const fb = framebufferViews(io.channels.framebuffer);
    // Until the guest's VGA produces a frame, say so instead of showing a black box.
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#556";
    ctx.font = "16px ui-monospace, monospace";
    ctx.textAlign = "center";
    ctx.fillText("no signal", canvas.width / 2, canvas.height / 2);
    let image: ImageData | null = null;
    let lastGen = 0;
    const draw = () => {
      io.flush();
      const gen = Atomics.load(fb.header, Fb.GEN);
      if (gen === lastGen) return;
      const width = Atomics.load(fb.header, Fb.WIDTH);
      const height = Atomics.load(fb.header, Fb.HEIGHT);
      if (width <= 0 || height <= 0 || width > Fb.MAX_WIDTH || height > Fb.MAX_HEIGHT) return;
      let full = false;
      if (!image || image.width !== width || image.height !== height) {
        image = new ImageData(width, height);
        canvas.width = width;
        canvas.height = height;
        full = true;
      }
      const dst = image.data;
      let y = 0;
      while (y < height) {
        if (!full && Atomics.load(fb.rowGen, y) <= lastGen) {
          y++;
          continue;
        }
        const y0 = y;
        while (y < height && (full || Atomics.load(fb.rowGen, y) > lastGen)) y++;
        dst.set(fb.pixels.subarray(y0 * width * 4, y * width * 4), y0 * width * 4);
        ctx.putImageData(image, 0, 0, 0, y0, width, y - y0);
      }
      lastGen = gen;
    };
    return onFrame(draw);
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
}
