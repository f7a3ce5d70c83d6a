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
