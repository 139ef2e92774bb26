import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api';
import { checkoutErrors, fieldSentence, firstInvalid } from './checkoutErrors';

describe('checkout errors for the payer', () => {
  it('attaches the API field errors to their inputs, as sentences', () => {
    const error = new ApiError(422, 'validation_failed', 'card.cvc: must be 3 or 4 digits; card.expiry: must be written MM/YY', {
      'card.expiry': 'must be written MM/YY',
      'card.cvc': 'must be 3 or 4 digits',
    });
    const { fields, summary } = checkoutErrors(error);
    expect(fields).toEqual({
      expiry: 'The expiry date must be written MM/YY.',
      cvc: 'The CVC must be 3 or 4 digits.',
    });
    expect(summary).toBeNull();
    expect(firstInvalid(fields)).toBe('expiry');
  });

  it('keeps whole sentences, and the form order for the focus', () => {
    expect(fieldSentence('expiry', 'the card has expired')).toBe('The card has expired.');
    expect(fieldSentence('number', 'is not a valid card number')).toBe('The card number is not a valid card number.');
    const error = new ApiError(422, 'validation_failed', '', {
      'card.cvc': 'must be 3 or 4 digits',
      amount: 'is more than the balance due (10.00 EUR)',
      'card.number': 'The test provider accepts 4242 4242 4242 4242.',
    });
    const { fields } = checkoutErrors(error);
    expect(firstInvalid(fields)).toBe('amount');
    expect(fields.number).toBe('The test provider accepts 4242 4242 4242 4242.');
  });

  it('leaves other failures as one message', () => {
    const declined = new ApiError(402, 'card_declined', 'Your card was declined.');
    expect(checkoutErrors(declined)).toEqual({ fields: {}, summary: declined });
    const odd = new ApiError(422, 'validation_failed', 'x', { body: 'is incomplete' });
    const split = checkoutErrors(odd);
    expect(split.fields).toEqual({});
    expect(split.summary).toBeInstanceOf(ApiError);
    expect((split.summary as ApiError).message).toBe('body: is incomplete');
    expect(firstInvalid({})).toBeUndefined();
  });
});
