// A modal on the native <dialog>: the browser traps focus, Escape closes it, and focus
// returns to where it was.

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  // Closing on unmount fires "close" later; by then another dialog may be open in its place.
  const live = useRef(true);
  useEffect(() => {
    const d = ref.current;
    live.current = true;
    if (d && !d.open) d.showModal();
    return () => {
      live.current = false;
      d?.close();
    };
  }, []);
  const closed = (): void => {
    if (live.current) onClose();
  };
  return (
    <dialog ref={ref} class={`modal${wide ? " modal-wide" : ""}`} aria-labelledby="modal-title" onClose={closed} onCancel={(e) => { e.preventDefault(); closed(); }}>
      <div class="modal-head">
        <h2 id="modal-title">{title}</h2>
        <button type="button" class="icon-btn" aria-label="Close" onClick={onClose}>×</button>
      </div>
      <div class="modal-body">{children}</div>
    </dialog>
  );
}

export function Confirm(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Modal title={props.title} onClose={props.onCancel}>
      <div class="confirm-text">{props.children}</div>
      <div class="form-actions">
        <button type="button" class="btn btn-secondary" onClick={props.onCancel}>Cancel</button>
        <button type="button" class={`btn ${props.danger ? "btn-danger" : "btn-primary"}`} disabled={props.busy} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
