//! Money and dates for people: amounts arrive as integer minor units with an
//! ISO 4217 currency and are shown with `Intl` in the reader's locale; money
//! typed by a person is parsed back to minor units without floating point.

/** The reader's locale, or `undefined` to let `Intl` pick the default. */
export function userLocale(): string | undefined {
  return typeof navigator !== 'undefined' ? navigator.language || undefined : undefined;
}

const digitsCache = new Map<string, number>();

/** How many minor-unit digits a currency has: 2 for USD/EUR, 0 for JPY, 3 for BHD. */
export function currencyDigits(currency: string): number {
  const code = currency.toUpperCase();
  const cached = digitsCache.get(code);
  if (cached !== undefined) return cached;
  let digits = 2;
  try {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions()
        .maximumFractionDigits ?? 2;
  } catch {
    // Unknown code: keep the common case.
  }
  digitsCache.set(code, digits);
  return digits;
}

/** `formatMoney(123456, 'EUR', 'de-DE')` → `1.234,56 €`. */
export function formatMoney(minor: number, currency: string, locale = userLocale()): string {
  const code = currency.toUpperCase();
  const digits = currencyDigits(code);
  const major = minor / 10 ** digits;
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: code }).format(major);
  } catch {
    return `${major.toFixed(digits)} ${code}`;
  }
}

/** Minor units as the plain decimal a form field shows: `1234` USD → `12.34`. */
export function minorToInput(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  if (digits === 0) return String(minor);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const scale = 10 ** digits;
  const whole = Math.floor(abs / scale);
  const frac = String(abs % scale).padStart(digits, '0');
  return `${sign}${whole}.${frac}`;
}

/**
 * Parses money typed by a person (`12`, `12.5`, `12,50`, `1,234.56`, `1.234,56`)
 * into minor units of `currency`. Returns `null` for anything else, including
 * more decimals than the currency has and negative amounts.
 */
export function parseMoneyInput(text: string, currency: string): number | null {
  const digits = currencyDigits(currency);
  const s = text.trim().replace(/[\s\u00a0\u202f']/g, '');
  if (!/^[0-9]*([.,][0-9]*)*$/.test(s) || !/[0-9]/.test(s)) return null;
  const decimalAt = decimalSeparatorIndex(s, digits);
  const whole = (decimalAt === -1 ? s : s.slice(0, decimalAt)).replace(/[.,]/g, '');
  const frac = decimalAt === -1 ? '' : s.slice(decimalAt + 1);
  if (!/^[0-9]*$/.test(frac) || frac.length > digits) return null;
  const value = Number(whole || '0') * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  return Number.isSafeInteger(value) ? value : null;
}

/** Where the decimal separator is in `s`, or -1 when every separator groups thousands. */
function decimalSeparatorIndex(s: string, digits: number): number {
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  if (lastDot !== -1 && lastComma !== -1) return Math.max(lastDot, lastComma);
  const at = Math.max(lastDot, lastComma);
  if (at === -1) return -1;
  const sep = s.charAt(at);
  const repeated = s.indexOf(sep) !== at;
  const groupOfThree = s.length - at - 1 === 3 && digits < 3;
  return repeated || groupOfThree ? -1 : at;
}

/** A calendar date `YYYY-MM-DD` (no time zone) in the reader's locale. */
export function formatDate(isoDate: string, locale = userLocale()): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDate);
  if (!match) return isoDate;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/** An instant (ISO 8601 with zone) as date and time in the reader's locale and zone. */
export function formatDateTime(iso: string, locale = userLocale(), timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };
  if (timeZone) options.timeZone = timeZone;
  return new Intl.DateTimeFormat(locale, options).format(date);
}

/** Today as `YYYY-MM-DD` in the local zone, plus `days`. */
export function isoDateFromToday(days = 0, now = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days);
  const mm = String(d.getMonth() + 1).padStart(2, '0');
  const dd = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${mm}-${dd}`;
}

/** `#7` for a numeric invoice number (or `'7'`); a display number (`INV-2026-0007`, `#7`) as it is. */
export function invoiceLabel(number: number | string): string {
  return typeof number === 'number' || /^\d+$/.test(number) ? `#${number}` : number;
}

/** A rate in basis points as people write it: `2000` → `20%`, `550` → `5.5%`. */
export function formatRate(basisPoints: number): string {
  const text = (basisPoints / 100).toFixed(2).replace(/\.?0+$/, '');
  return `${text}%`;
}

/** A percentage typed by a person (`20`, `5.5`, `7,7`) in basis points, or `null`. */
export function parseRateInput(text: string): number | null {
  const s = text.trim().replace('%', '').replace(',', '.').trim();
  if (s === '') return 0;
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(s)) return null;
  const [whole = '0', frac = ''] = s.split('.');
  const bp = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return bp <= 10000 ? bp : null;
}
