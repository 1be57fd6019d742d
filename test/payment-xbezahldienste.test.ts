import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PaymentConfigError, PaymentProviderError } from '../src/payment/errors.js';
import { purposeFor } from '../src/payment/payments.js';
import { paymentRequestBody, transactionOf, xbezahldiensteConfig } from '../src/payment/xbezahldienste.js';
import type { PaymentRequest } from '../src/payment/types.js';

/** The XBezahldienste adapter's settings, request and answer, without a provider (the flow test has one). */
const settings = { adapter: 'xbezahldienste', baseUrl: 'https://pay.land.example/api/v1/', originatorId: '12002312', endPointId: 'GEWERBE', secretEnv: 'EFA_PAYMENT_SECRET' };
const request: PaymentRequest = {
  requestId: '0b7f4a52-0a8c-4c39-9d0b-4f5f0f2c8d11', amountCents: 2650, currency: 'EUR', purpose: purposeFor('gewerbeanmeldung'), description: 'Gebühr',
  items: [{ id: 'gebuehr', description: 'Gebühr', quantity: 1, singleGrossCents: 2650 }], redirectUrl: 'https://portal.example/sh/x/bezahlen/rueckkehr?zahlung=1',
};

describe('XBezahldienste adapter', () => {
  test('settings: https only in production, ${…} only from EFA_PAYMENT_… and the demo receiver, ids as the API allows', () => {
    assert.equal(xbezahldiensteConfig(settings, {}, false).baseUrl, 'https://pay.land.example/api/v1');
    assert.throws(() => xbezahldiensteConfig({ ...settings, baseUrl: 'http://pay.land.example' }, {}, false), PaymentConfigError);
    assert.equal(xbezahldiensteConfig({ ...settings, baseUrl: 'http://127.0.0.1:1' }, {}, true).baseUrl, 'http://127.0.0.1:1');
    assert.equal(xbezahldiensteConfig({ ...settings, baseUrl: '${EFA_PAYMENT_URL}' }, { EFA_PAYMENT_URL: 'https://p.example' }, false).baseUrl, 'https://p.example');
    assert.throws(() => xbezahldiensteConfig({ ...settings, baseUrl: '${EFA_SECRET}' }, { EFA_SECRET: 'https://leak.example' }, false), /not allowed/);
    assert.throws(() => xbezahldiensteConfig({ ...settings, baseUrl: '${EFA_PAYMENT_URL}' }, {}, false), /not set/);
    assert.throws(() => xbezahldiensteConfig({ ...settings, originatorId: 'a/b' }, {}, false), /originatorId/);
  });

  test('the request: euros, a purpose of at most 27 characters without personal data, 1 to 99 items', () => {
    const body = paymentRequestBody(request);
    assert.equal(body.grosAmount, 26.5);
    assert.equal(body.currency, 'EUR');
    assert.ok(String(body.purpose).length <= 27 && /^EFA GEWERBEANMELDU [2-9A-Z]{8}$/.test(String(body.purpose)), String(body.purpose));
    assert.deepEqual((body.items as Array<Record<string, unknown>>)[0], { id: 'gebuehr', reference: 'gebuehr', description: 'Gebühr', quantity: 1, taxRate: 0, singleNetAmount: 26.5, singleTaxAmount: 0, totalNetAmount: 26.5, totalTaxAmount: 0 });
    assert.throws(() => paymentRequestBody({ ...request, purpose: 'x'.repeat(28) }), PaymentProviderError);
    assert.throws(() => paymentRequestBody({ ...request, items: [] }), PaymentProviderError);
    assert.throws(() => paymentRequestBody({ ...request, items: Array.from({ length: 100 }, () => request.items[0] as PaymentRequest['items'][number]) }), PaymentProviderError);
  });

  test('the answer: status vocabulary (PAYED read as BOOKED), amounts in cents, anything odd refused', () => {
    const answer = (info: Record<string, unknown>) => ({ paymentRequest: { requestId: 'r', currency: 'EUR', grosAmount: 26.5 }, paymentInformation: { transactionId: 'tx-1', status: 'INITIAL', ...info } });
    assert.deepEqual({ ...transactionOf(answer({ status: 'PAYED', paymentMethod: 'PAYPAL' })) }, { transactionId: 'tx-1', status: 'BOOKED', amountCents: 2650, currency: 'EUR', requestId: 'r', payPageUrl: undefined, transactionUrl: undefined, paymentMethod: 'PAYPAL', timestamp: undefined });
    assert.equal(transactionOf(answer({ status: 'BOOKED', paymentMethod: 'BITCOIN' })).paymentMethod, 'OTHER');
    assert.throws(() => transactionOf(answer({ status: 'MAYBE' })), PaymentProviderError);
    assert.throws(() => transactionOf(answer({ transactionId: '../../etc' })), PaymentProviderError);
    assert.throws(() => transactionOf(null), PaymentProviderError);
  });
});
