export function formatRate(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} G/s`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} M/s`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(0)} k/s`;
  return `${v.toFixed(0)} /s`;
}

export function formatCount(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return String(Math.round(v));
}

export function formatUptime(sec: number): string {
  const s = Math.floor(sec);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  return h > 0 ? `${h}h${String(m % 60).padStart(2, "0")}m` : `${m}:${String(s % 60).padStart(2, "0")}`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Bytes in binary units, three significant digits at most: "412 MiB", "1.5 GiB", "10 GiB". */
export function formatBytes(bytes: number): string {
  let v = Math.max(0, bytes);
  let unit = 0;
  while (v >= 1024 && unit < BYTE_UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  const digits = unit === 0 || v >= 10 || Number.isInteger(v) ? 0 : 1;
  return `${v.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** Date and time as "2026-12-07 23:50", local time, without building an Intl formatter per call. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
