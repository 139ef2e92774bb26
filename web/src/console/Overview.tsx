// Connections now, and this node's last hour of connections and delivered messages per
// second, sampled by the server every 10 s (so a reloaded page keeps its graphs). On Redis
// also the cluster's sum and each node's own.
import { overview, type Sample, type Series } from './api';
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

function NodeSeries({ series, title }: { series: Series; title: string }) {
  return (
    <section aria-label={title} className="series" data-node={series.node ?? 'cluster'}>
      <h2>
        {title}: <strong className="series-now">{series.connections}</strong> connections now
      </h2>
      <Graph label="Connections" values={series.history.map((s) => s.connections)} />
      <Graph label="Messages per second" values={series.history.map((s) => s.messages_per_second)} />
    </section>
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
      {value?.clusterError && <p role="alert">{value.clusterError}</p>}
      {value?.cluster && <NodeSeries series={value.cluster} title="Cluster (all nodes)" />}
      {value?.nodes && value.nodes.length > 0 && (
        <div className="nodes">
          {value.nodes.map((n) => (
            <NodeSeries key={n.node} series={n} title={`Node ${(n.node ?? '').slice(0, 6)}${n.this ? ' (this one)' : ''}`} />
          ))}
        </div>
      )}
    </section>
  );
}
