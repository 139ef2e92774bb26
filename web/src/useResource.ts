//! Loads one thing from the API for a page, keeps the last good value while a
//! refresh runs or fails, and offers `refresh()` that coalesces bursts (events,
//! reconnects) into one request through `Refetcher`.

import { useCallback, useEffect, useRef, useState } from 'react';
import { Refetcher } from './realtime';

export interface Resource<T> {
  data: T | undefined;
  /** The last load's failure, if it failed. */
  error: unknown;
  loading: boolean;
  /** Schedules a coalesced re-fetch. */
  refresh: () => void;
  /** Replaces the value with one an action returned (no request). */
  replace: (value: T) => void;
}

export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const controller = useRef<AbortController | null>(null);
  // Responses can overtake each other; only the newest request may write.
  const generation = useRef(0);

  const fetchNow = useCallback(async () => {
    const mine = ++generation.current;
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    try {
      const value = await loadRef.current(abort.signal);
      if (mine !== generation.current) return;
      setData(value);
      setError(undefined);
    } catch (cause) {
      if (abort.signal.aborted || mine !== generation.current) return;
      setError(cause);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  // Made per effect run: a stopped one (page left, or StrictMode's rehearsal) stays stopped.
  const refetcher = useRef<Refetcher | null>(null);

  useEffect(() => {
    const current = new Refetcher(fetchNow);
    refetcher.current = current;
    setData(undefined);
    setError(undefined);
    setLoading(true);
    void fetchNow();
    return () => {
      current.stop();
      generation.current++;
      controller.current?.abort();
    };
  }, [key, fetchNow]);

  const refresh = useCallback(() => refetcher.current?.request(), []);

  const replace = useCallback((value: T) => {
    generation.current++;
    controller.current?.abort();
    setData(value);
    setError(undefined);
    setLoading(false);
  }, []);

  return { data, error, loading, refresh, replace };
}
