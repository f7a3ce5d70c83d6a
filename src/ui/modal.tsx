// A modal dialog: a titled box over a backdrop; Escape closes it, and focus moves into it when it
// opens and back to what had it when it closes (so it is usable from the keyboard alone). It is
// drawn in document.body: inside a VM panel (CSS containment) a fixed backdrop would be confined
// to the panel, under the panels that follow it.

import { useEffect, useId, useRef, type ReactNode } from "react";
import { createPortal } from "react-dom";

export function Modal(props: { title: string; role?: "dialog" | "alertdialog"; testId?: string; onClose(): void; children: ReactNode }) {
  const titleId = useId();
  const boxRef = useRef<HTMLDivElement>(null);
  const { onClose } = props;
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const box = boxRef.current;
    // The element marked data-autofocus, else the first field or button.
    const first = box?.querySelector<HTMLElement>("[data-autofocus]") ?? box?.querySelector<HTMLElement>("input, textarea, select, button");
    first?.focus();
    return () => before?.focus();
  }, []);
  return createPortal(
    <div className="dialog-backdrop">
      <div
        ref={boxRef}
        className="dialog"
        role={props.role ?? "dialog"}
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={props.testId}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onClose();
          }
        }}
      >
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
      </div>
    </div>,
    document.body,
  );
}

/** Asks before something that cannot be undone (revert, delete). */
export function ConfirmDialog(props: { title: string; message: string; confirmLabel: string; danger?: boolean; onConfirm(): void; onClose(): void }) {
  return (
    <Modal title={props.title} role="alertdialog" testId="confirm-dialog" onClose={props.onClose}>
      <p>{props.message}</p>
      <div className="editor-actions">
        <button data-autofocus className={props.danger ? "danger" : "primary"} data-testid="confirm-yes" onClick={() => { props.onClose(); props.onConfirm(); }}>
          {props.confirmLabel}
        </button>
        <button onClick={props.onClose}>Cancel</button>
      </div>
    </Modal>
  );
}
