// A tiny canvas line graph (instructions/s, CPU %) — no chart library needed.

import { useEffect, useRef } from "react";

export function Sparkline(props: { values: number[]; max?: number; color: string; label: string; format: (v: number) => string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { values, max, color } = props;
  useEffect(() => {
    const c = ref.current;
    const g = c?.getContext("2d");
    if (!c || !g) return;
    const w = c.width;
    const h = c.height;
    g.clearRect(0, 0, w, h);
    if (values.length < 2) return;
    const top = max ?? Math.max(1, ...values) * 1.1;
    g.beginPath();
    values.forEach((v, i) => {
      const x = (i / (values.length - 1)) * (w - 1);
      const y = h - 1 - (Math.min(v, top) / top) * (h - 2);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.strokeStyle = color;
    g.lineWidth = 1.5;
    g.stroke();
    g.lineTo(w - 1, h);
    g.lineTo(0, h);
    g.closePath();
    g.globalAlpha = 0.15;
    g.fillStyle = color;
    g.fill();
    g.globalAlpha = 1;
  }, [values, max, color]);
  const last = values.length ? values[values.length - 1] : 0;
  return (
    <div className="spark">
      <span className="spark-label">{props.label}</span>
      <canvas ref={ref} width={140} height={28} />
      <span className="spark-value">{props.format(last)}</span>
    </div>
  );
}
