/**
 * The contract between the runtime and a payment provider (Bezahldienst): XBezahldienste's REST
 * API today, others later. An adapter speaks one protocol to one tenant's provider; the pages and
 * the store never see the protocol. One file per adapter, registered in `registry.ts`.
 */

/** What a service declares in service.json `payment.policy` (docs/payment.md). */
export type PaymentPolicy = 'inactive' | 'optional' | 'before-submit' | 'after-decision';

export const PAYMENT_POLICIES: readonly PaymentPolicy[] = ['inactive', 'optional', 'before-submit', 'after-decision'];

/**
 * A transaction's state at the provider, in XBezahldienste's (and FIT-Connect's paymentInformation)
 * vocabulary: INITIAL (opened, nothing paid yet), BOOKED (paid), FAILED, CANCELED.
 */
export type ProviderStatus = 'INITIAL' | 'BOOKED' | 'FAILED' | 'CANCELED';

/** The payment methods FIT-Connect's metadata names; a provider's other methods become OTHER. */
export type PaymentMethod = 'GIROPAY' | 'PAYDIRECT' | 'CREDITCARD' | 'PAYPAL' | 'INVOICE' | 'OTHER';

export interface PaymentItem {
  /** Our id of the position (≤ 36 characters of [A-Za-z0-9-]). */
  id: string;
  description: string;
  quantity: number;
  /** Gross amount of one unit, in cents. */
  singleGrossCents: number;
}

/** What the runtime asks a provider to collect. Amounts in cents; only EUR. */
export interface PaymentRequest {
  /** Our payment id: the provider keeps it as the request id. */
  requestId: string;
  amountCents: number;
  currency: 'EUR';
  /** The transfer's purpose (Verwendungszweck), at most 27 characters, no personal data. */
  purpose: string;
  description: string;
  /** 1 to 99 positions whose sum is `amountCents`. */
  items: PaymentItem[];
  /** Absolute URL the provider sends the applicant back to, whatever the outcome. */
  redirectUrl: string;
}

/** A transaction as the provider reports it. */
export interface PaymentTransaction {
  transactionId: string;
  status: ProviderStatus;
  /** The amount the provider holds for the transaction, in cents (compared with ours, never trusted). */
  amountCents: number;
  currency: string;
  /** The request id the provider keeps (our payment id). */
  requestId: string;
  /** The provider's page where the applicant pays (after initiation). */
  payPageUrl?: string;
  /** The transaction's REST URL for status queries. */
  transactionUrl?: string;
  paymentMethod?: PaymentMethod;
  /** When the payment was booked. */
  timestamp?: string;
}

/** One provider of one tenant. */
export interface PaymentAdapter {
  readonly name: string;
  /** Opens a transaction; the applicant is then sent to `payPageUrl`. */
  initiate(request: PaymentRequest): Promise<PaymentTransaction>;
  /** The transaction's state, asked of the provider server to server (never read from the browser). */
  status(transactionId: string): Promise<PaymentTransaction>;
}

/** A tenant's provider, as tenants/<land>.json declares it (secrets by environment name). */
export interface PaymentProviderConfig {
  adapter: string;
  [setting: string]: unknown;
}

export type PaymentAdapterFactory = (config: PaymentProviderConfig, env: Record<string, string | undefined>, opts: { allowHttp: boolean }) => PaymentAdapter;
