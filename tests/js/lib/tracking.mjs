// Every server and client the helpers create is tracked here, so test files can close
// clients in `afterEach` (`cleanupClients`) and stop servers in `after` (`cleanupAll`), and
// a process that exits anyway kills what is left.

const servers = new Set(); // objects with stop(): Promise and child
const clients = new Set(); // objects with close(): void|Promise

export function trackClient(c) {
  clients.add(c);
  return c;
}

/** Close every client opened since the last call (use in afterEach). */
export async function cleanupClients() {
  const list = [...clients];
  clients.clear();
  await Promise.allSettled(list.map((c) => Promise.resolve().then(() => c.close())));
}

/** Close all clients and stop all servers (use in after). */
export async function cleanupAll() {
  await cleanupClients();
  const list = [...servers];
  await Promise.allSettled(list.map((s) => s.stop()));
}

process.on('exit', () => {
  for (const s of servers) {
    try {
      s.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Track a started server; `stop()` of every tracked server runs in `cleanupAll`. */
export function trackServer(s) {
  servers.add(s);
  return s;
}

/** Stop tracking `s`; false when it was not tracked (already stopped). */
export function untrackServer(s) {
  return servers.delete(s);
}
