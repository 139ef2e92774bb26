import { describe, expect, it } from 'vitest';
import {
  currencyDigits,
  formatDate,
  formatDateTime,
  formatMoney,
  formatRate,
  invoiceLabel,
  parseRateInput,
  isoDateFromToday,
  minorToInput,
  parseMoneyInput,
} from './format';

// Intl uses narrow no-break spaces in some locales; compare with plain spaces.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('money', () => {
  it('knows each currency’s minor unit', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('jpy')).toBe(0);
    expect(currencyDigits('BHD')).toBe(3);
  });

  it('formats minor units per currency and locale', () => {
    expect(formatMoney(123456, 'USD', 'en-US')).toBe('$1,234.56');
    expect(plain(formatMoney(123456, 'EUR', 'de-DE'))).toBe('1.234,56 €');
    expect(formatMoney(1500, 'JPY', 'en-US')).toBe('¥1,500');
    expect(formatMoney(0, 'GBP', 'en-GB')).toBe('£0.00');
  });

  it('round-trips form values without floating point errors', () => {
    expect(minorToInput(1005, 'USD')).toBe('10.05');
    expect(minorToInput(7, 'USD')).toBe('0.07');
    expect(minorToInput(1500, 'JPY')).toBe('1500');
    expect(parseMoneyInput(minorToInput(1999, 'EUR'), 'EUR')).toBe(1999);
  });

  it.each([
    ['12', 'USD', 1200],
    ['12.5', 'USD', 1250],
    ['12,50', 'EUR', 1250],
    ['0.29', 'USD', 29],
    ['1,234.56', 'USD', 123456],
    ['1.234,56', 'EUR', 123456],
    ['1,234', 'USD', 123400],
    ['1 234,5', 'EUR', 123450],
    ['1500', 'JPY', 1500],
    ['.5', 'USD', 50],
  ])('parses %s %s as %i minor units', (text, currency, minor) => {
    expect(parseMoneyInput(text, currency)).toBe(minor);
  });

  it.each([['', 'USD'], ['abc', 'USD'], ['-5', 'USD'], ['1.5', 'JPY'], ['1.2.3x', 'USD'], ['12.3456', 'BHD']])(
    'rejects %s %s',
    (text, currency) => {
      expect(parseMoneyInput(text, currency)).toBeNull();
    },
  );

  it('reads a single separator before three digits as thousands grouping', () => {
    expect(parseMoneyInput('12.345', 'EUR')).toBe(1234500);
    expect(parseMoneyInput('1.234', 'BHD')).toBe(1234);
  });
});

describe('dates', () => {
  it('shows a due date as the same calendar day in every time zone', () => {
    expect(formatDate('2025-10-12', 'en-US')).toBe('Oct 12, 2025');
    expect(formatDate('2025-01-01', 'de-DE')).toBe('01.01.2025');
  });

  it('shows instants in the given locale and zone', () => {
    expect(plain(formatDateTime('2025-10-12T18:40:12.153Z', 'en-US', 'UTC'))).toBe('Oct 12, 2025, 6:40 PM');
  });

  it('leaves unparseable values as they are', () => {
    expect(formatDate('soon', 'en-US')).toBe('soon');
    expect(formatDateTime('never', 'en-US')).toBe('never');
  });

  it('computes local dates for the form', () => {
    expect(isoDateFromToday(14, new Date(2025, 11, 25))).toBe('2026-01-08');
  });
});

describe('invoiceLabel', () => {
  it('prefixes numbers with #', () => {
    expect(invoiceLabel(7)).toBe('#7');
    expect(invoiceLabel('7')).toBe('#7');
    expect(invoiceLabel('#7')).toBe('#7');
    // A display number with the owner's prefix stands as it is (DESIGN.md).
    expect(invoiceLabel('INV-2026-0007')).toBe('INV-2026-0007');
  });
});

describe('tax rates', () => {
  it('write basis points as percentages', () => {
    expect([2000, 550, 1225, 5, 0].map(formatRate)).toEqual(['20%', '5.5%', '12.25%', '0.05%', '0%']);
  });

  it('read typed percentages into basis points', () => {
    expect(['20', '5.5', '7,7', ' 12.25 % ', '', '100'].map(parseRateInput)).toEqual([2000, 550, 770, 1225, 0, 10000]);
    for (const bad of ['101', '-5', '1.234', 'abc', '20%%']) expect(parseRateInput(bad)).toBeNull();
  });
});
