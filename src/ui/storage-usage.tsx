// The origin's storage as the top bar shows it: "412 MiB of 10 GiB, persistent", with Hypertab's
// own stores in the tooltip.

import type { StorageUsage } from "../hypervisor/snapshot-api.ts";
import { formatBytes } from "./format.ts";

export function storageText(u: StorageUsage): string {
  return `${formatBytes(u.usageBytes)} of ${formatBytes(u.quotaBytes)}, ${u.persisted ? "persistent" : "not persistent (the browser may evict it)"}`;
}

export function StorageUsageView(props: { usage: StorageUsage | null }) {
  const u = props.usage;
  const pct = u && u.quotaBytes > 0 ? Math.min(100, (u.usageBytes / u.quotaBytes) * 100) : 0;
  return (
    <div className="ram" title={u ? `Snapshots, VM definitions, images and disks: ${formatBytes(u.chunkBytes)} in ${u.chunkCount} chunks` : undefined}>
      <span>Storage</span>
      <div className="bar" role="meter" aria-label="Storage used" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
        <div className="bar-fill" style={{ width: `${pct}%` }} />
      </div>
      <span data-testid="storage-usage">{u ? storageText(u) : "…"}</span>
    </div>
  );
}
