/**
 * XBezahldienste (the Länder's payment standard, e.g. ePayBL and pmPayment behind it): a
 * transaction is opened with `POST {baseUrl}/paymenttransaction/{originatorId}/{endPointId}` and
 * its state read with `GET …/{transactionId}`; the provider does not call back, the state must be
 * asked for. Field names follow the published API (PaymentRequest, PaymentInformation); amounts
 * are decimal euros on the wire and cents here. Authentication: HTTP Basic, the originator id and
 * the secret from the environment variable the tenant names.
 */
import { PaymentConfigError, PaymentProviderError } from './errors.js';
import type { PaymentAdapter, PaymentAdapterFactory, PaymentMethod, PaymentProviderConfig, PaymentRequest, PaymentTransaction, ProviderStatus } from './types.js';

export interface XBezahldiensteConfig {
  baseUrl: string;
  originatorId: string;
  endPointId: string;
  secretEnv: string;
  timeoutMs: number;
}

/** The published limits: purpose (Verwendungszweck) up to 27 characters, 1 to 99 positions. */
export const PURPOSE_MAX = 27;
export const ITEMS_MAX = 99;
const ID_PATTERN = /^[\w-]{1,36}$/;
/** `${EFA_DEMO_RECEIVER_URL}` and `${EFA_PAYMENT_…}` may stand in the base URL, nothing else. */
const VARIABLE = /\$\{([A-Z][A-Z0-9_]*)\}/g;
const ALLOWED_VARIABLE = /^(EFA_PAYMENT_[A-Z0-9_]+|EFA_DEMO_RECEIVER_URL)$/;
const METHODS: readonly PaymentMethod[] = ['GIROPAY', 'PAYDIRECT', 'CREDITCARD', 'PAYPAL', 'INVOICE', 'OTHER'];

function setting(config: PaymentProviderConfig, name: string, pattern: RegExp): string {
  const value = config[name];
  if (typeof value !== 'string' || !pattern.test(value)) throw new PaymentConfigError(`xbezahldienste: "${name}" is missing or not valid`);
  return value;
}

export function xbezahldiensteConfig(config: PaymentProviderConfig, env: Record<string, string | undefined>, allowHttp: boolean): XBezahldiensteConfig {
  const raw = setting(config, 'baseUrl', /^\S+$/);
  const baseUrl = raw.replace(VARIABLE, (_m, name: string) => {
    if (!ALLOWED_VARIABLE.test(name)) throw new PaymentConfigError(`xbezahldienste: \${${name}} is not allowed in baseUrl (only EFA_PAYMENT_… and EFA_DEMO_RECEIVER_URL)`);
    const value = env[name];
    if (!value) throw new PaymentConfigError(`xbezahldienste: baseUrl needs \${${name}}, which is not set`);
    return value;
  }).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new PaymentConfigError('xbezahldienste: baseUrl is not a URL');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) throw new PaymentConfigError('xbezahldienste: baseUrl must use https');
  const timeoutMs = typeof config.timeoutMs === 'number' && config.timeoutMs > 0 ? config.timeoutMs : 10_000;
  return { baseUrl, originatorId: setting(config, 'originatorId', ID_PATTERN), endPointId: setting(config, 'endPointId', ID_PATTERN), secretEnv: setting(config, 'secretEnv', /^[A-Z][A-Z0-9_]*$/), timeoutMs };
}

const euros = (cents: number): number => Math.round(cents) / 100;
const cents = (amount: unknown): number => (typeof amount === 'number' && Number.isFinite(amount) ? Math.round(amount * 100) : NaN);

/** The request body of POST /paymenttransaction/{originatorId}/{endPointId}. Fees carry no VAT. */
export function paymentRequestBody(request: PaymentRequest, now = new Date()): Record<string, unknown> {
  if (request.purpose.length > PURPOSE_MAX) throw new PaymentProviderError(`purpose longer than ${PURPOSE_MAX} characters`);
  if (request.items.length < 1 || request.items.length > ITEMS_MAX) throw new PaymentProviderError(`a payment has 1 to ${ITEMS_MAX} items`);
  return {
    requestId: request.requestId,
    requestTimestamp: now.toISOString(),
    currency: request.currency,
    // The published API spells it so.
    grosAmount: euros(request.amountCents),
    purpose: request.purpose,
    description: request.description,
    redirectUrl: request.redirectUrl,
    items: request.items.map((item) => ({
      id: item.id, reference: item.id, description: item.description, quantity: item.quantity, taxRate: 0,
      singleNetAmount: euros(item.singleGrossCents), singleTaxAmount: 0, totalNetAmount: euros(item.singleGrossCents * item.quantity), totalTaxAmount: 0,
    })),
  };
}

/** Reads a PaymentTransaction answer ({ paymentRequest, paymentInformation }); anything odd is a provider error. */
export function transactionOf(body: unknown): PaymentTransaction {
  const doc = (body ?? {}) as { paymentRequest?: Record<string, unknown>; paymentInformation?: Record<string, unknown> };
  const info = doc.paymentInformation ?? {};
  const req = doc.paymentRequest ?? {};
  const transactionId = info.transactionId;
  if (typeof transactionId !== 'string' || !ID_PATTERN.test(transactionId)) throw new PaymentProviderError('the provider\'s answer has no valid transactionId');
  const status = statusOf(info.status);
  const method = typeof info.paymentMethod === 'string' ? (METHODS.includes(info.paymentMethod as PaymentMethod) ? info.paymentMethod as PaymentMethod : 'OTHER') : undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    transactionId, status, amountCents: cents(req.grosAmount), currency: String(req.currency ?? ''), requestId: String(req.requestId ?? ''),
    payPageUrl: str(info.transactionRedirectUrl), transactionUrl: str(info.transactionUrl), paymentMethod: method, timestamp: str(info.transactionTimestamp),
  };
}

function statusOf(raw: unknown): ProviderStatus {
  // Some providers answer PAYED where FIT-Connect's vocabulary says BOOKED.
  if (raw === 'PAYED') return 'BOOKED';
  if (raw === 'INITIAL' || raw === 'BOOKED' || raw === 'FAILED' || raw === 'CANCELED') return raw;
  throw new PaymentProviderError('the provider\'s answer has an unknown status');
}

export class XBezahldiensteAdapter implements PaymentAdapter {
  readonly name = 'xbezahldienste';
  constructor(private readonly config: XBezahldiensteConfig, private readonly env: Record<string, string | undefined>) {}

  private get collection(): string {
    return `${this.config.baseUrl}/paymenttransaction/${encodeURIComponent(this.config.originatorId)}/${encodeURIComponent(this.config.endPointId)}`;
  }

  private authorization(): string {
    // Read at use, so a Land whose secret is not set yet only loses payment, not the portal.
    const secret = this.env[this.config.secretEnv];
    if (!secret) throw new PaymentConfigError(`xbezahldienste: the secret variable ${this.config.secretEnv} is not set`);
    return `Basic ${Buffer.from(`${this.config.originatorId}:${secret}`).toString('base64')}`;
  }

  async initiate(request: PaymentRequest): Promise<PaymentTransaction> {
    const tx = await this.call('POST', this.collection, paymentRequestBody(request));
    if (!tx.payPageUrl) throw new PaymentProviderError('the provider\'s answer has no payment page (transactionRedirectUrl)');
    return tx;
  }

  async status(transactionId: string): Promise<PaymentTransaction> {
    if (!ID_PATTERN.test(transactionId)) throw new PaymentProviderError('not a transaction id');
    return this.call('GET', `${this.collection}/${encodeURIComponent(transactionId)}`);
  }

  private async call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<PaymentTransaction> {
    let res: Response;
    try {
      res = await fetch(url, {
        method, redirect: 'error', signal: AbortSignal.timeout(this.config.timeoutMs),
        headers: { authorization: this.authorization(), accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      if (err instanceof PaymentConfigError) throw err;
      throw new PaymentProviderError(`the payment provider could not be reached (${method})`, undefined, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw new PaymentProviderError(`the payment provider answered ${res.status} (${method})`, res.status);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new PaymentProviderError('the payment provider\'s answer is not JSON');
    }
    return transactionOf(parsed);
  }
}

export const xbezahldienste: PaymentAdapterFactory = (config, env, opts) => new XBezahldiensteAdapter(xbezahldiensteConfig(config, env, opts.allowHttp), env);
