// memtest86+ 6.x's .bin starts with a floppy boot sector that loads the rest with INT 13h, so the
// image padded to a standard 1.44 MB floppy is bootable by SeaBIOS (checked in QEMU).

export const FLOPPY_1440K = 1_474_560;

export function buildMemtestFloppy(memtestBin: Uint8Array): Uint8Array {
  if (memtestBin.length < 512 || memtestBin[510] !== 0x55 || memtestBin[511] !== 0xaa)
    throw new Error("memtest86+ .bin has no boot sector signature (55 AA at offset 510)");
  if (memtestBin.length > FLOPPY_1440K) throw new Error(`memtest86+ .bin (${memtestBin.length} bytes) does not fit a 1.44 MB floppy`);
  const image = new Uint8Array(FLOPPY_1440K);
  image.set(memtestBin);
  return image;
}
