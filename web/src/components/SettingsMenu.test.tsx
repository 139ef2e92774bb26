import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import { SettingsMenu } from './SettingsMenu';

afterEach(() => vi.unstubAllGlobals());

describe('SettingsMenu', () => {
  it('offers "Sign out everywhere"', () => {
    const html = renderToStaticMarkup(<SettingsMenu onSignedOutEverywhere={() => undefined} />);
    expect(html).toMatch(/<button[^>]*>Sign out everywhere<\/button>/);
  });

  it('signs out everywhere with one POST', async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetch);
    await api.logoutAll();
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/api/auth/logout-all');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('same-origin');
  });
});
