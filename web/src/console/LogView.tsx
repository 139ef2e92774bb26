// The live log: records streamed from /console/api/log (server-sent events), newest first,
// filtered by channel, kind and text; pausable; each line expands to its JSON and copies.
// Records arriving between paints are added together, so a busy app costs one render per
// tick; the server samples beyond what a person can read and says how many it skipped.
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { KINDS, NO_FILTER, kindLabel, matches, nodeLabel, parseRecord, prepend, recordKey, summary, type Filter, type LogRecord } from './records';

const PAINT_EVERY_MS = 200;

function time(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// Memoised: a paint adds rows on top, and the rows already shown do not render again.
const Row = memo(function Row({ record, rowKey }: { record: LogRecord; rowKey: string }) {
  const [open, setOpen] = useState(false);
  const [copied, setCopied] = useState(false);
  const json = () => JSON.stringify(record, null, 2);
  return (
    <li className={`record kind-${record.kind}`} data-kind={record.kind} data-key={rowKey}>
      <div className="line">
        <time dateTime={new Date(record.time).toISOString()}>{time(record.time)}</time>
        <span className="kind">{kindLabel(record.kind)}</span>
        {nodeLabel(record) && (
          <span className="node" title={`node ${String(record.node)}`}>
            {nodeLabel(record)}
          </span>
        )}
        <span className="summary">{summary(record)}</span>
        <button type="button" className="quiet" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Hide' : 'JSON'}
        </button>
        <button
          type="button"
          className="quiet"
          onClick={() => {
            void navigator.clipboard?.writeText(json()).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            });
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      {open && <pre>{json()}</pre>}
    </li>
  );
});

export function LogView() {
  const [rows, setRows] = useState<LogRecord[]>([]);
  const [live, setLive] = useState(false);
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState(0);
  const [skipped, setSkipped] = useState(0);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const incoming = useRef<LogRecord[]>([]);
  const skippedSince = useRef(0);
  const pausedRef = useRef(false);
  pausedRef.current = paused;

  useEffect(() => {
    const source = new EventSource('/console/api/log');
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    source.onmessage = (event: MessageEvent<string>) => {
      const record = parseRecord(event.data);
      if (!record) return;
      if (record.kind === 'watching') {
        setLive(true);
        return;
      }
      // Counted here and shown at the next paint: under load a count comes with nearly
      // every record, and a render each would make the page sluggish.
      if (record.kind === 'skipped' && typeof record.count === 'number') skippedSince.current += record.count;
      incoming.current.push(record);
    };
    const paint = setInterval(() => {
      if (skippedSince.current > 0) {
        const count = skippedSince.current;
        skippedSince.current = 0;
        setSkipped((s) => s + count);
      }
      if (pausedRef.current) {
        setHeld(incoming.current.length);
        return;
      }
      if (incoming.current.length === 0) return;
      const batch = incoming.current;
      incoming.current = [];
      setRows((current) => prepend(current, batch));
    }, PAINT_EVERY_MS);
    return () => {
      source.close();
      clearInterval(paint);
    };
  }, []);

  const shown = useMemo(() => rows.filter((r) => matches(r, filter)), [rows, filter]);

  return (
    <section aria-label="Live log" className="log">
      <div className="toolbar">
        <span className={live ? 'status live' : 'status'} role="status">
          {live ? 'Live' : 'Connecting…'}
        </span>
        <label>
          Channel
          <input
            aria-label="Channel"
            placeholder="name or prefix"
            value={filter.channel}
            onChange={(e) => setFilter({ ...filter, channel: e.target.value })}
          />
        </label>
        <label>
          Kind
          <select aria-label="Kind" value={filter.kind} onChange={(e) => setFilter({ ...filter, kind: e.target.value })}>
            <option value="">All kinds</option>
            {KINDS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" aria-label="Search" value={filter.search} onChange={(e) => setFilter({ ...filter, search: e.target.value })} />
        </label>
        <button
          type="button"
          onClick={() => {
            setPaused(!paused);
            setHeld(0);
          }}
        >
          {paused ? `Resume${held ? ` (${held} new)` : ''}` : 'Pause'}
        </button>
        <button type="button" className="quiet" onClick={() => setRows([])}>
          Clear
        </button>
        {skipped > 0 && <span className="skipped">{skipped} skipped</span>}
      </div>
      <p className="count">
        {shown.length} of {rows.length} records
      </p>
      <ol className="records">
        {shown.map((r, i) => {
          const key = recordKey(r, i);
          return <Row key={key} rowKey={key} record={r} />;
        })}
      </ol>
    </section>
  );
}
