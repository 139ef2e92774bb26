// The Event Creator: channels, event name, JSON data (checked before sending) and an
// optional socket id to leave out. The server publishes it with the HTTP API's rules (the
// secret stays there); the answer is shown, and recent sends are kept in localStorage.
import { useState, type FormEvent } from 'react';
import { message, trigger, type Answer } from './api';
import { jsonProblem, loadRecent, remember, splitChannels, type Sent } from './recent';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function EventCreator() {
  const [channels, setChannels] = useState('');
  const [name, setName] = useState('');
  const [data, setData] = useState('{\n  "hello": "world"\n}');
  const [socketId, setSocketId] = useState('');
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [busy, setBusy] = useState(false);
  const [recent, setRecent] = useState<Sent[]>(() => {
    const s = storage();
    return s ? loadRecent(s) : [];
  });
  const problem = jsonProblem(data);

  async function send(event: FormEvent) {
    event.preventDefault();
    if (problem) return;
    setBusy(true);
    const sent: Sent = { channels: splitChannels(channels), name: name.trim(), data, socketId: socketId.trim() };
    try {
      const request = { channels: sent.channels, name: sent.name, data: sent.data };
      const answer = await trigger(sent.socketId ? { ...request, socket_id: sent.socketId } : request);
      setAnswer(answer);
      if (answer.status === 200) {
        const s = storage();
        if (s) setRecent(remember(s, sent));
      }
    } catch {
      setAnswer({ status: 0, body: 'the server could not be reached' });
    } finally {
      setBusy(false);
    }
  }

  function use(sent: Sent) {
    setChannels(sent.channels.join(', '));
    setName(sent.name);
    setData(sent.data);
    setSocketId(sent.socketId);
  }

  return (
    <section aria-label="Event Creator" className="creator">
      <form onSubmit={(e) => void send(e)}>
        <label>
          Channels
          <input aria-label="Channels" value={channels} onChange={(e) => setChannels(e.target.value)} placeholder="invoice.123, user.42.invoices" required />
        </label>
        <label>
          Event
          <input aria-label="Event" value={name} onChange={(e) => setName(e.target.value)} placeholder="payment.received" required />
        </label>
        <label>
          Data (JSON)
          <textarea aria-label="Data (JSON)" value={data} onChange={(e) => setData(e.target.value)} rows={8} spellCheck={false} aria-invalid={problem !== null} />
        </label>
        {problem && <p className="invalid" role="alert">Not valid JSON: {problem}</p>}
        <label>
          Exclude socket id (optional)
          <input aria-label="Exclude socket id" value={socketId} onChange={(e) => setSocketId(e.target.value)} placeholder="123.456" />
        </label>
        <button type="submit" disabled={busy || problem !== null}>
          Send event
        </button>
      </form>
      {answer && (
        <div className={answer.status === 200 ? 'answer ok' : 'answer failed'} aria-label="Answer">
          <strong>{answer.status === 200 ? 'Sent' : `Refused (${answer.status})`}</strong>
          {answer.status !== 200 && <span> {message(answer)}</span>}
          <pre>{typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)}</pre>
        </div>
      )}
      {recent.length > 0 && (
        <div className="recent">
          <h2>Recent</h2>
          <ul>
            {recent.map((s, i) => (
              <li key={i}>
                <button type="button" className="quiet" onClick={() => use(s)}>
                  {s.name} on {s.channels.join(', ')}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
