// Connections now, and this node's last hour of connections and delivered messages per
// second, sampled by the server every 10 s (so a reloaded page keeps its graphs).
import { overview, type Sample } from './api';
import { usePolled } from './usePolled';

const REFRESH_MS = 5000;
const WIDTH = 360;
const HEIGHT = 60;

/** The points of a small line graph of `values`, scaled to the box. */
export function sparkPoints(values: readonly number[], width = WIDTH, height = HEIGHT): string {
  if (values.length === 0) return '';
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * height).toFixed(1)}`).join(' ');
}

function Graph({ label, values }: { label: string; values: number[] }) {
  const last = values.at(-1) ?? 0;
  const max = Math.max(0, ...values);
  return (
    <figure className="graph" aria-label={label}>
      <figcaption>
        {label}: <strong>{last}</strong> now, {max} at most
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-label={`${label}, ${values.length} samples`}>
        <polyline points={sparkPoints(values)} fill="none" stroke="currentColor" strokeWidth="1.5" />
      </svg>
    </figure>
  );
}

export function Overview() {
  const { value, problem } = usePolled(overview, REFRESH_MS);
  const connections = value?.connections ?? null;
  const history: Sample[] = value?.history ?? [];
  const every = value?.everySecs ?? 10;

  return (
    <section aria-label="Overview" className="overview">
      {problem && <p role="alert">{problem}</p>}
      <p className="now">
        Connections now: <strong data-testid="connections-now">{connections ?? '…'}</strong>
      </p>
      <p className="note">
        This node, the last hour: {history.length} samples, one every {every} s.
      </p>
      <Graph label="Connections" values={history.map((s) => s.connections)} />
      <Graph label="Messages per second" values={history.map((s) => s.messages_per_second)} />
    </section>
  );
}
