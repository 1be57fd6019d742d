import { EfaError } from '../core/errors.js';

/** A tenant's payment provider is configured wrongly (unknown adapter, missing setting or secret). */
export class PaymentConfigError extends EfaError {
  constructor(message: string) {
    super('EFA_PAYMENT_CONFIG', message, 500);
  }
}

/** The provider refused a request or could not be reached; the draft is unchanged. */
export class PaymentProviderError extends EfaError {
  constructor(message: string, readonly providerStatus?: number, options?: { cause?: unknown }) {
    super('EFA_PAYMENT_PROVIDER', message, 502, options);
  }
}

/**
 * What the provider reports of a transaction does not match what this runtime opened (another
 * amount, currency or request id): the payment is not taken as paid. The message names no person.
 */
export class PaymentMismatchError extends EfaError {
  constructor(what: string) {
    super('EFA_PAYMENT_MISMATCH', `the provider's transaction does not match the payment opened here: ${what}`, 409);
  }
}

/** A return for a payment this browser's draft did not open (unknown, forged or another draft's). */
export class PaymentNotFoundError extends EfaError {
  constructor() {
    super('EFA_PAYMENT_NOT_FOUND', 'no such payment for this draft', 404);
  }
}
