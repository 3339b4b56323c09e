// One change a page makes on the user's behalf: busy while it runs, its failure kept to show,
// and what to do once it has succeeded (reload, clear a field).

import { useState } from "preact/hooks";

export interface Action {
  busy: boolean;
  failure: unknown;
  act: (fn: () => Promise<unknown>) => Promise<void>;
}

export function useAction(afterSuccess: () => void): Action {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const act = async (fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setFailure(null);
    try {
      await fn();
      afterSuccess();
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, failure, act };
}
