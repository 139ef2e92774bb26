import { describe, expect, it, vi } from 'vitest';
import { SoundPlayer, TONE_SEQUENCES, type AudioContextLike, type SoundType } from './sounds';

interface Started {
  frequency: number;
  when: number;
  type: string;
}

/** An AudioContext that records each oscillator's pitch and start time. */
class FakeAudioContext implements AudioContextLike {
  currentTime = 10;
  state = 'suspended';
  destination = { name: 'speakers' };
  started: Started[] = [];
  resume = vi.fn(async () => {
    this.state = 'running';
  });

  createOscillator() {
    const osc = {
      type: 'sine' as OscillatorType,
      frequency: { value: 440 },
      connect: vi.fn(),
      start: (when = 0) => this.started.push({ frequency: osc.frequency.value, when, type: osc.type }),
      stop: vi.fn(),
    };
    return osc;
  }

  createGain() {
    return {
      gain: { setValueAtTime: vi.fn(), linearRampToValueAtTime: vi.fn(), exponentialRampToValueAtTime: vi.fn() },
      connect: vi.fn(),
    };
  }
}

function played(type: SoundType) {
  const ctx = new FakeAudioContext();
  const player = new SoundPlayer(() => ctx);
  expect(player.play(type)).toBe(true);
  return [...ctx.started].sort((a, b) => a.when - b.when);
}

const freqs = (tones: Started[]) => tones.map((t) => t.frequency);

describe('playNotificationSound tone sequences', () => {
  it('success is a strictly ascending run of tones', () => {
    const f = freqs(played('success'));
    expect(f.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < f.length; i++) expect(f[i]).toBeGreaterThan(f[i - 1]!);
  });

  it('info is a single tone', () => {
    expect(played('info')).toHaveLength(1);
  });

  it('warning is two tones, one after the other', () => {
    const tones = played('warning');
    expect(tones).toHaveLength(2);
    expect(tones[1]!.when).toBeGreaterThan(tones[0]!.when);
  });

  it('error is a strictly descending run of tones', () => {
    const f = freqs(played('error'));
    expect(f.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < f.length; i++) expect(f[i]).toBeLessThan(f[i - 1]!);
  });

  it('schedules tones from the context clock, in order of the table', () => {
    const tones = played('success');
    expect(tones[0]!.when).toBeGreaterThanOrEqual(10);
    expect(freqs(tones)).toEqual(TONE_SEQUENCES.success.map((t) => t.frequency));
  });

  it('plays nothing when sounds are turned off', () => {
    const ctx = new FakeAudioContext();
    const player = new SoundPlayer(() => ctx, () => false);
    expect(player.play('success')).toBe(false);
    expect(ctx.started).toHaveLength(0);
  });

  it('reports false without Web Audio', () => {
    expect(new SoundPlayer(() => null).play('info')).toBe(false);
  });
});

describe('audio unlock', () => {
  it('creates and resumes the context on the first gesture only', () => {
    const factory = vi.fn(() => new FakeAudioContext());
    const player = new SoundPlayer(factory);
    const target = new EventTarget();
    player.installUnlock(target);
    expect(factory).not.toHaveBeenCalled();

    target.dispatchEvent(new Event('pointerdown'));
    expect(factory).toHaveBeenCalledTimes(1);
    const ctx = factory.mock.results[0]!.value as FakeAudioContext;
    expect(ctx.resume).toHaveBeenCalledTimes(1);

    target.dispatchEvent(new Event('keydown'));
    expect(factory).toHaveBeenCalledTimes(1);
    expect(ctx.resume).toHaveBeenCalledTimes(1);
  });

  it('reuses the unlocked context for later tones', () => {
    const factory = vi.fn(() => new FakeAudioContext());
    const player = new SoundPlayer(factory);
    const target = new EventTarget();
    player.installUnlock(target);
    target.dispatchEvent(new Event('keydown'));
    player.play('info');
    player.play('success');
    expect(factory).toHaveBeenCalledTimes(1);
    expect((factory.mock.results[0]!.value as FakeAudioContext).started).toHaveLength(5);
  });

  it('survives a browser that refuses to create a context', () => {
    const player = new SoundPlayer(() => {
      throw new Error('not allowed');
    });
    expect(player.play('success')).toBe(false);
  });
});
