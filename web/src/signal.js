// A value that components can watch: set() re-renders every component that called useSignal().
import { useEffect, useState } from 'preact/hooks';

export function signal(initial) {
  const listeners = new Set();
  const s = {
    value: initial,
    set(next) {
      if (Object.is(next, s.value)) return;
      s.value = next;
      for (const listener of [...listeners]) listener(next);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return s;
}

export function useSignal(s) {
  const [, setValue] = useState(s.value);
  useEffect(() => s.subscribe((v) => setValue(() => v)), [s]);
  return s.value;
}
