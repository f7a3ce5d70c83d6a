// A snapshot's thumbnail: the VM's screen from its framebuffer channel, scaled to 160 pixels wide,
// as a PNG (null before the guest drew anything).

import { unzlibSync } from "fflate";
import { describe, expect, it } from "vitest";
import { screenThumbnail } from "../../src/hypervisor/screen-thumbnail.ts";
import { Fb, createVmChannels, framebufferViews } from "../../src/hypervisor/shared-layout.ts";

describe("screen thumbnail", () => {
  it("is null before the guest drew anything", () => {
    expect(screenThumbnail(createVmChannels().framebuffer)).toBeNull();
  });

  it("scales a 640x400 screen to a 160x100 PNG of the same picture", () => {
    const { framebuffer } = createVmChannels();
    const fb = framebufferViews(framebuffer);
    Atomics.store(fb.header, Fb.WIDTH, 640);
    Atomics.store(fb.header, Fb.HEIGHT, 400);
    // Left half red, right half blue (RGBA bytes in memory order).
    for (let y = 0; y < 400; y++) for (let x = 0; x < 640; x++) fb.pixels.set(x < 320 ? [255, 0, 0, 255] : [0, 0, 255, 255], (y * 640 + x) * 4);
    const png = screenThumbnail(framebuffer)!;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const v = new DataView(png.buffer, png.byteOffset);
    expect([v.getUint32(16), v.getUint32(20)]).toEqual([160, 100]);
    const idatLength = v.getUint32(33);
    const raw = unzlibSync(png.subarray(41, 41 + idatLength));
    const row = 1 + 160 * 4;
    expect(raw.length).toBe(row * 100);
    expect([...raw.subarray(1, 5)]).toEqual([255, 0, 0, 255]);
    expect([...raw.subarray(row * 50 + 1 + 159 * 4, row * 50 + 1 + 160 * 4)]).toEqual([0, 0, 255, 255]);
  });
});
