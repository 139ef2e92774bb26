// Loads a console resource now and every `everyMs` while the view is shown. The console's
// API answers a string when it refuses (e.g. the session ended), shown as the problem.
import { useEffect, useState } from 'react';

export interface Polled<T> {
  /** The last good answer, kept while a later load fails. */
  value: T | undefined;
  problem: string | null;
}

export function usePolled<T>(load: () => Promise<T | string>, everyMs: number): Polled<T> {
  const [polled, setPolled] = useState<Polled<T>>({ value: undefined, problem: null });

  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const answer = await load();
        if (stopped) return;
        if (typeof answer === 'string') setPolled((p) => ({ ...p, problem: answer }));
        else setPolled({ value: answer, problem: null });
      } catch {
        if (!stopped) setPolled((p) => ({ ...p, problem: 'the server could not be reached' }));
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), everyMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [load, everyMs]);

  return polled;
}
