// Floppy disk formats recognised from the image size, with the data rate the media is written at
// and the CMOS drive type (register 0x10 nibble) of the drive that normally holds it.

export interface FloppyGeometry {
  /** Human name, e.g. "1.44M". */
  readonly name: string;
  readonly cylinders: number;
  readonly heads: number;
  readonly sectorsPerTrack: number;
  /** Image size in bytes (cylinders × heads × sectors × 512). */
  readonly bytes: number;
  /** CCR/DSR data rate code: 0 = 500 kb/s, 1 = 300 kb/s, 2 = 250 kb/s, 3 = 1 Mb/s. */
  readonly dataRate: number;
  /** CMOS drive type: 1 = 360K 5.25", 2 = 1.2M 5.25", 3 = 720K 3.5", 4 = 1.44M 3.5", 5 = 2.88M 3.5". */
  readonly cmosDriveType: number;
}

function format(name: string, cylinders: number, heads: number, sectorsPerTrack: number, dataRate: number, cmosDriveType: number): FloppyGeometry {
  return { name, cylinders, heads, sectorsPerTrack, bytes: cylinders * heads * sectorsPerTrack * 512, dataRate, cmosDriveType };
}

export const FLOPPY_FORMATS: readonly FloppyGeometry[] = [
  format("160K", 40, 1, 8, 2, 1),
  format("180K", 40, 1, 9, 2, 1),
  format("320K", 40, 2, 8, 2, 1),
  format("360K", 40, 2, 9, 2, 1),
  format("720K", 80, 2, 9, 2, 3),
  format("1.2M", 80, 2, 15, 0, 2),
  format("1.44M", 80, 2, 18, 0, 4),
  format("2.88M", 80, 2, 36, 3, 5),
];

/** The geometry of an image of `bytes` bytes; throws naming the accepted sizes otherwise. */
export function floppyGeometryForSize(bytes: number): FloppyGeometry {
  const g = FLOPPY_FORMATS.find((f) => f.bytes === bytes);
  if (!g) {
    const accepted = FLOPPY_FORMATS.map((f) => `${f.name} (${f.bytes} bytes)`).join(", ");
    throw new RangeError(`floppy image of ${bytes} bytes has no known geometry; accepted sizes: ${accepted}`);
  }
  return g;
}
