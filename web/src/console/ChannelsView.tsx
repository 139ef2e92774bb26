// Occupied channels with their subscriber counts and presence members, searchable;
// refreshed every few seconds while shown.
import { useEffect, useState } from 'react';
import { channels as fetchChannels, type ChannelRow } from './api';

const REFRESH_MS = 3000;

export function ChannelsView() {
  const [rows, setRows] = useState<ChannelRow[]>([]);
  const [truncated, setTruncated] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [search, setSearch] = useState('');

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const answer = await fetchChannels();
        if (stopped) return;
        if (typeof answer === 'string') setProblem(answer);
        else {
          setProblem(null);
          setRows(answer.channels);
          setTruncated(answer.truncated);
        }
      } catch {
        if (!stopped) setProblem('the server could not be reached');
      }
    };
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  const needle = search.trim().toLowerCase();
  const shown = rows.filter(
    (r) => !needle || r.name.toLowerCase().includes(needle) || (r.members ?? []).some((m) => m.toLowerCase().includes(needle)),
  );
  return (
    <section aria-label="Channels" className="channels">
      <div className="toolbar">
        <label>
          Search channels
          <input type="search" aria-label="Search channels" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <span>
          {shown.length} of {rows.length} occupied{truncated ? ' (first 1000)' : ''}
        </span>
      </div>
      {problem && <p role="alert">{problem}</p>}
      <table>
        <thead>
          <tr>
            <th>Channel</th>
            <th>Subscribers</th>
            <th>Presence members</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={r.name} data-channel={r.name}>
              <td>
                <code>{r.name}</code>
              </td>
              <td>{r.subscription_count ?? ''}</td>
              <td>{r.members ? `${r.members.length}: ${r.members.join(', ')}` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
