-- Up Migration
-- Fee payments (src/payment/, docs/payment.md): one row per payment transaction opened at the
-- Land's payment provider for a draft. No personal data: the purpose is built from the service and
-- a random id, the provider's transaction id is its own random id. `submission_id` is set in the
-- submit's transaction; a booked payment without one is listed by the reconciliation API.
CREATE TABLE payments (
  id uuid PRIMARY KEY,
  tenant text NOT NULL,
  service_id text NOT NULL,
  draft_id uuid NOT NULL,
  submission_id uuid,
  provider text NOT NULL,
  transaction_id text UNIQUE,
  transaction_url text,
  -- The provider's payment page, so "pay now" pressed again goes back to the open transaction.
  pay_page_url text,
  amount_cents integer NOT NULL CHECK (amount_cents > 0),
  currency text NOT NULL DEFAULT 'EUR' CHECK (currency = 'EUR'),
  purpose text NOT NULL CHECK (char_length(purpose) <= 27),
  status text NOT NULL DEFAULT 'initial' CHECK (status IN ('initial', 'booked', 'failed', 'canceled', 'timeout')),
  payment_method text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  settled_at timestamptz
);
CREATE INDEX payments_draft ON payments (draft_id);
CREATE INDEX payments_unlinked ON payments (created_at) WHERE submission_id IS NULL AND status = 'booked';

-- What travels with the submission: the service's policy and, when paid, the payment's state and
-- transaction id (payload meta.payment, FIT-Connect paymentInformation).
ALTER TABLE submissions ADD COLUMN payment_policy text CHECK (payment_policy IN ('optional', 'before-submit', 'after-decision'));
ALTER TABLE submissions ADD COLUMN payment jsonb;

-- Down Migration
ALTER TABLE submissions DROP COLUMN payment;
ALTER TABLE submissions DROP COLUMN payment_policy;
DROP TABLE payments;
