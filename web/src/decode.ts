//! Small runtime decoders for data that came over the wire (REST responses,
//! realtime payloads). Each decoder takes `unknown` and either returns a typed
//! value or throws a `DecodeError` naming the path that did not fit, so no
//! `any` leaks from `fetch` or pusher-js into the pages.

export class DecodeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path || 'value'}: expected ${expected}`);
    this.name = 'DecodeError';
  }
}

export type Decoder<T> = (value: unknown, path?: string) => T;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const str: Decoder<string> = (value, path = '') => {
  if (typeof value !== 'string') throw new DecodeError(path, 'a string');
  return value;
};

export const num: Decoder<number> = (value, path = '') => {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new DecodeError(path, 'a number');
  return value;
};

/** An integer amount in minor units (cents). */
export const int: Decoder<number> = (value, path = '') => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new DecodeError(path, 'an integer');
  }
  return value;
};

export const bool: Decoder<boolean> = (value, path = '') => {
  if (typeof value !== 'boolean') throw new DecodeError(path, 'a boolean');
  return value;
};

export function oneOf<T extends string>(values: readonly T[]): Decoder<T> {
  return (value, path = '') => {
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) {
      return value as T;
    }
    throw new DecodeError(path, `one of ${values.join(', ')}`);
  };
}

/**
 * An array of strings, keeping those in `values` in their order. Unknown strings
 * are dropped rather than refused: a list of options may grow on the server
 * before this build knows what to do with a new one.
 */
export function knownOf<T extends string>(values: readonly T[]): Decoder<T[]> {
  const known = (entry: string): entry is T => (values as readonly string[]).includes(entry);
  return (value, path = '') => array(str)(value, path).filter(known);
}

/** Absent or `null` become `undefined`; anything else must match `inner`. */
export function optional<T>(inner: Decoder<T>): Decoder<T | undefined> {
  return (value, path = '') => (value === undefined || value === null ? undefined : inner(value, path));
}

/** Absent or `null` become `fallback`. */
export function withDefault<T>(inner: Decoder<T>, fallback: T): Decoder<T> {
  return (value, path = '') => (value === undefined || value === null ? fallback : inner(value, path));
}

export function array<T>(item: Decoder<T>): Decoder<T[]> {
  return (value, path = '') => {
    if (!Array.isArray(value)) throw new DecodeError(path, 'an array');
    return value.map((entry, index) => item(entry, `${path}[${index}]`));
  };
}

type Shape<T> = { [K in keyof T]: Decoder<T[K]> };

/** An object with exactly the listed fields decoded; unknown fields are ignored. */
export function object<T>(shape: Shape<T>): Decoder<T> {
  return (value, path = '') => {
    if (!isRecord(value)) throw new DecodeError(path, 'an object');
    const out: Partial<T> = {};
    for (const key of Object.keys(shape) as (keyof T & string)[]) {
      out[key] = shape[key](value[key], path ? `${path}.${key}` : key);
    }
    return out as T;
  };
}

/** Reads one field of an object response, e.g. `{invoices: [...]}`. */
export function field<T>(name: string, inner: Decoder<T>): Decoder<T> {
  return (value, path = '') => {
    if (!isRecord(value)) throw new DecodeError(path, 'an object');
    return inner(value[name], path ? `${path}.${name}` : name);
  };
}
