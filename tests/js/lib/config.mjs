// Apps with fresh credentials and the TOML config file `paybell realtime` reads.

import { randomBytes } from 'node:crypto';

let appCounter = 0;

/** A fresh app definition with unique credentials; overrides are merged in. */
export function makeApp(overrides = {}) {
  appCounter += 1;
  const tag = `${process.pid}-${appCounter}-${randomBytes(3).toString('hex')}`;
  return {
    id: `app-${tag}`,
    key: `key-${tag}`,
    secret: `secret-${randomBytes(12).toString('hex')}`,
    ...overrides,
  };
}

function tomlValue(v) {
  if (typeof v === 'string') return JSON.stringify(v); // TOML basic strings share JSON escapes
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (v && typeof v === 'object') {
    return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)} = ${tomlValue(x)}`).join(', ')} }`;
  }
  throw new Error(`cannot encode ${typeof v} as TOML`);
}

/** Render the `[realtime]` table, its `[[realtime.apps]]` and their `[[realtime.apps.webhooks]]`. */
export function renderConfig({ apps = [], realtime = {} } = {}) {
  const lines = ['[realtime]'];
  for (const [k, v] of Object.entries(realtime)) lines.push(`${k} = ${tomlValue(v)}`);
  for (const { webhooks = [], ...app } of apps) {
    lines.push('', '[[realtime.apps]]');
    for (const [k, v] of Object.entries(app)) {
      if (v === undefined) continue;
      lines.push(`${k} = ${tomlValue(v)}`);
    }
    for (const hook of webhooks) {
      lines.push('', '[[realtime.apps.webhooks]]');
      for (const [k, v] of Object.entries(hook)) lines.push(`${k} = ${tomlValue(v)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
