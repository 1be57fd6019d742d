/** A row of the submissions table as pg returns it (see the migrations). */
export interface SubmissionRow {
  id: string;
  reference: string;
  tenant: string;
  service_id: string;
  service_version: string;
  leika_key: string;
  region: string;
  authority_id: string;
  authority_name: string;
  status: string;
  delivery_mode: 'push' | 'pull';
  /** JWE for the authority's key: the only form in which the application is stored. */
  payload_jwe: string;
  payload_media_type: 'application/json' | 'application/xml';
  payload_sha512: string;
  schema_uri: string;
  /** The entry's payloadFormat at submit and a standard message's type; NULL in rows from before. */
  payload_format?: string | null;
  message_type?: string | null;
  /** The eIDAS level of the applicant's login at submit; NULL when anonymous (and in rows from before). */
  trust_level?: 'low' | 'substantial' | 'high' | null;
  /** The applicant's e-mail address for replies, until delivered (reply-email.ts); NULL otherwise. */
  reply_email?: string | null;
  /** The fee's payment policy and state at submit (paymentMeta in submit.ts); NULL without a payment policy. */
  payment?: { policy: string; status: string; transactionId?: string; transactionUrl?: string; reference?: string; method?: string; amountCents?: number; bookedAt?: string } | null;
  fee_cents: number;
  last_error: string | null;
  submitted_at: Date | string;
  updated_at: Date | string;
}
