// Occupied channels with their subscriber counts and presence members, searchable;
// refreshed every few seconds while shown.
import { useState } from 'react';
import { channels as fetchChannels, type ChannelRow } from './api';
import { usePolled } from './usePolled';

const REFRESH_MS = 3000;

export function ChannelsView() {
  const { value, problem } = usePolled(fetchChannels, REFRESH_MS);
  const [search, setSearch] = useState('');
  const rows: ChannelRow[] = value?.channels ?? [];
  const truncated = value?.truncated ?? false;

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
