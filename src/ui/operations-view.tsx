// The dashboard's operations area: a progress bar for each long save, restore, export or import,
// and a banner with the error of each one that failed (until dismissed).

import type { OperationProgress } from "../hypervisor/snapshot-api.ts";
import { operationTitle } from "./operation-watch.ts";

export function OperationsView(props: { progress: OperationProgress[]; failed: OperationProgress[]; vmName(id: string): string; onDismiss(id: string): void }) {
  if (props.progress.length === 0 && props.failed.length === 0) return null;
  return (
    <div className="operations" data-testid="operations">
      {props.progress.map((op) => {
        const title = operationTitle(op, props.vmName);
        const pct = Math.round(Math.min(1, Math.max(0, op.fraction)) * 100);
        return (
          <div key={op.id} className="operation" data-testid="operation-progress" data-kind={op.kind}>
            <span className="operation-title">{title}</span>
            <progress max={100} value={pct} aria-label={`${title}: ${op.phase}`} />
            <span className="muted">{op.phase} · {pct}%</span>
          </div>
        );
      })}
      {props.failed.map((op) => (
        <div key={op.id} className="notice error" role="alert" data-testid="operation-error" data-kind={op.kind}>
          <span>{operationTitle(op, props.vmName)} failed: {op.error}</span>
          <button aria-label="Dismiss" onClick={() => props.onDismiss(op.id)}>×</button>
        </div>
      ))}
    </div>
  );
}
