// "Take snapshot": a name (required) and an optional description. The snapshot is taken after the
// dialog closes; its progress shows in the dashboard's operations bar.

import { useState } from "react";
import { Modal } from "./modal.tsx";

export function TakeSnapshotDialog(props: { vmName: string; defaultName: string; onTake(name: string, description: string): void; onClose(): void }) {
  const [name, setName] = useState(props.defaultName);
  const [description, setDescription] = useState("");
  const trimmed = name.trim();
  return (
    <Modal title={`Take snapshot of ${props.vmName}`} testId="snapshot-dialog" onClose={props.onClose}>
      <form
        className="dialog-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!trimmed) return;
          props.onTake(trimmed, description.trim());
          props.onClose();
        }}
      >
        <label>Name <input data-autofocus required value={name} onChange={(e) => setName(e.target.value)} data-testid="snapshot-name" /></label>
        <label>Description <textarea rows={2} value={description} onChange={(e) => setDescription(e.target.value)} placeholder="(optional)" data-testid="snapshot-description" /></label>
        <div className="editor-actions">
          <button type="submit" className="primary" disabled={!trimmed} data-testid="snapshot-submit">Take snapshot</button>
          <button type="button" onClick={props.onClose}>Cancel</button>
        </div>
      </form>
    </Modal>
  );
}
