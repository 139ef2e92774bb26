//! Short synthesised notification tones through the Web Audio API, no audio
//! files. Browsers keep an `AudioContext` suspended until the page gets a user
//! gesture, so `installAudioUnlock` creates and resumes the context on the first
//! click or key press; tones asked for before that are attempted anyway.

import { settings } from './settings';

export type SoundType = 'success' | 'info' | 'warning' | 'error';

export interface Tone {
  /** Hz. */
  frequency: number;
  /** Seconds after the sequence starts. */
  offset: number;
  /** Seconds. */
  duration: number;
}

const C5 = 523.25;
const E5 = 659.25;
const G5 = 783.99;
const C6 = 1046.5;
const A5 = 880;
const G4 = 392;
const E4 = 329.63;
const C4 = 261.63;

/** The tone sequences: success ascends, info is one tone, warning two, error descends. */
export const TONE_SEQUENCES: Readonly<Record<SoundType, readonly Tone[]>> = {
  success: [
    { frequency: C5, offset: 0, duration: 0.12 },
    { frequency: E5, offset: 0.1, duration: 0.12 },
    { frequency: G5, offset: 0.2, duration: 0.12 },
    { frequency: C6, offset: 0.3, duration: 0.3 },
  ],
  info: [{ frequency: A5, offset: 0, duration: 0.18 }],
  warning: [
    { frequency: E5, offset: 0, duration: 0.14 },
    { frequency: E5, offset: 0.22, duration: 0.14 },
  ],
  error: [
    { frequency: G4, offset: 0, duration: 0.16 },
    { frequency: E4, offset: 0.15, duration: 0.16 },
    { frequency: C4, offset: 0.3, duration: 0.3 },
  ],
};

const WAVEFORM: Readonly<Record<SoundType, OscillatorType>> = {
  success: 'sine',
  info: 'sine',
  warning: 'triangle',
  error: 'triangle',
};

const PEAK_GAIN = 0.2;

/** The part of `AudioContext` used here, so tests can pass a recording fake. */
export interface AudioContextLike {
  readonly currentTime: number;
  readonly state: string;
  readonly destination: unknown;
  resume(): Promise<void>;
  createOscillator(): {
    type: OscillatorType;
    frequency: { value: number };
    connect(node: never): unknown;
    start(when?: number): void;
    stop(when?: number): void;
  };
  createGain(): {
    gain: {
      setValueAtTime(value: number, time: number): unknown;
      linearRampToValueAtTime(value: number, time: number): unknown;
      exponentialRampToValueAtTime(value: number, time: number): unknown;
    };
    connect(node: never): unknown;
  };
}

export class SoundPlayer {
  private context: AudioContextLike | null = null;

  constructor(
    private readonly createContext: () => AudioContextLike | null,
    private readonly enabled: () => boolean = () => true,
  ) {}

  /** Creates the context if needed and asks it to run; call from a user gesture. */
  unlock(): AudioContextLike | null {
    if (!this.context) {
      try {
        this.context = this.createContext();
      } catch {
        this.context = null;
      }
    }
    if (this.context && this.context.state === 'suspended') {
      this.context.resume().catch(() => undefined);
    }
    return this.context;
  }

  get unlocked(): boolean {
    return this.context !== null && this.context.state === 'running';
  }

  /**
   * Unlocks audio on the first pointer or key gesture on `target`, then stops
   * listening. Returns a function that removes the listeners early.
   */
  installUnlock(target: EventTarget): () => void {
    const events = ['pointerdown', 'keydown', 'touchend'] as const;
    const onGesture = () => {
      if (this.unlock()) remove();
    };
    const remove = () => events.forEach((name) => target.removeEventListener(name, onGesture, true));
    events.forEach((name) => target.addEventListener(name, onGesture, true));
    return remove;
  }

  /** Plays the sequence for `type`; returns false when sounds are off or unavailable. */
  play(type: SoundType): boolean {
    if (!this.enabled()) return false;
    const context = this.unlock();
    if (!context) return false;
    const start = context.currentTime + 0.02;
    for (const tone of TONE_SEQUENCES[type]) scheduleTone(context, WAVEFORM[type], tone, start);
    return true;
  }
}

function scheduleTone(context: AudioContextLike, waveform: OscillatorType, tone: Tone, start: number) {
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  const at = start + tone.offset;
  const end = at + tone.duration;
  oscillator.type = waveform;
  // A fixed value rather than an automation event, so the pitch is readable at `start()`.
  oscillator.frequency.value = tone.frequency;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.linearRampToValueAtTime(PEAK_GAIN, at + 0.015);
  gain.gain.exponentialRampToValueAtTime(0.0001, end);
  oscillator.connect(gain as never);
  gain.connect(context.destination as never);
  oscillator.start(at);
  oscillator.stop(end + 0.02);
}

function browserAudioContext(): AudioContextLike | null {
  if (typeof window === 'undefined') return null;
  const Ctor =
    window.AudioContext ??
    (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  return Ctor ? new Ctor() : null;
}

/** The app's one player, honouring the "sounds" setting. */
export const soundPlayer = new SoundPlayer(browserAudioContext, () => settings.get().sounds);

/** Plays a notification tone: `success`, `info`, `warning` or `error`. */
export function playNotificationSound(type: SoundType): boolean {
  return soundPlayer.play(type);
}

/** Call once at start-up: the first user gesture on the page unlocks audio. */
export function installAudioUnlock(target: EventTarget = window): () => void {
  return soundPlayer.installUnlock(target);
}
