import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { apiError, requireScope, type ApiAuthOptions } from '../api-auth.js';
import { authErrors, bearer, errorBody, uuid } from '../schemas.js';

export interface AdminPaymentsOptions {
  rt: Runtime;
  auth: ApiAuthOptions;
}

const PATH = '/_efa/admin/payments/reconciliation';
const TENANT = /^[a-z]{2,16}$/;

const payment = {
  type: 'object',
  properties: {
    id: uuid, tenant: { type: 'string' }, serviceId: { type: 'string' }, transactionId: { type: ['string', 'null'] },
    amountCents: { type: 'integer' }, bookedAt: { type: ['string', 'null'] }, createdAt: { type: 'string' },
  },
} as const;

const submission = {
  type: 'object',
  properties: {
    id: uuid, reference: { type: 'string' }, tenant: { type: 'string' }, serviceId: { type: 'string' },
    paymentPolicy: { type: 'string', enum: ['before-submit', 'after-decision'] }, feeCents: { type: 'integer' }, submittedAt: { type: 'string' },
  },
} as const;

const schema = {
  tags: ['operator: payments'], security: bearer,
  summary: 'Reconciliation: booked payments that no submission took (to refund), and submissions whose fee is required but not paid online',
  querystring: { type: 'object', properties: { tenant: { type: 'string', pattern: TENANT.source } } },
  response: {
    200: { type: 'object', properties: { paymentsWithoutSubmission: { type: 'array', items: payment }, submissionsWithoutPayment: { type: 'array', items: submission } } },
    400: errorBody, ...authErrors,
  },
};

/**
 * The operator's reconciliation of fee payments with submissions (docs/payment.md). Ids, amounts
 * and dates only: nothing about the applicant.
 */
export async function adminPaymentsRoutes(app: FastifyInstance, { rt, auth }: AdminPaymentsOptions): Promise<void> {
  const read = { onRequest: requireScope(auth, 'payments:read') as unknown as onRequestAsyncHookHandler };
  app.get<{ Querystring: Record<string, string | undefined> }>(PATH, { ...read, schema, attachValidation: true }, async (req: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply: FastifyReply) => {
    if (req.validationError) return apiError(reply, 400, 'bad_request', req.validationError.message);
    const tenant = req.query.tenant || undefined;
    const [paymentsWithoutSubmission, submissionsWithoutPayment] = await Promise.all([rt.payments.withoutSubmission(tenant), rt.payments.submissionsWithoutPayment(tenant)]);
    return reply.header('cache-control', 'no-store').send({ paymentsWithoutSubmission, submissionsWithoutPayment });
  });
}
