import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { loadDemoAuthorities } from '../../src/demo/authorities.js';
import type { ReceiverAuthority } from '../../src/demo/receivers/types.js';
import { answerRequest as demoAnswerRequest, type DemoAnswer } from '../../src/demo/receivers/answer.js';
import { sealNotifyAddress } from '../../src/postfach/notify.js';
import { endpointFor } from '../../src/routing/load.js';
import { newLogicContext } from '../../src/services/context.js';
import { newStatusKey } from '../../src/submissions/status-key.js';
import { storeSubmission } from '../../src/submissions/submit.js';
import { editJson } from './declarations.js';
import { waitUntil } from './delivery-stack.js';
import { addExtraService, copyProjectRoot, example, type TempRoot } from './extra-service.js';
import { startStack, type TestStack } from './runtime.js';
import { startTestSmtp, type TestSmtp } from './smtp.js';

/**
 * The return channel end to end: the runtime with mail (a local SMTP server), a test service whose
 * applicants give an e-mail address (service.json contact.email), and one authority of the demo
 * directory per transport, found by its transport (no test names a service or authority of the
 * project). Applications are stored the way the submit route stores them and delivered in-process
 * to the demo receiver; answers come back over HTTP as the authority's system would send them.
 */
export const POSTFACH_SERVICE = 'postfach-test';
export const TRANSPORTS = ['webhook', 'xta', 'osci', 'fit-connect', 'pull'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

export interface PostfachStack {
  stack: TestStack;
  smtp: TestSmtp;
  temp: TempRoot;
  /** The demo authority that receives by each transport, with its private keys. */
  authorities: Map<TransportName, ReceiverAuthority>;
  close(): Promise<void>;
}

export interface Application {
  id: string;
  reference: string;
  /** The status key (the applicant's secret link). */
  key: string;
  email: string;
  authority: ReceiverAuthority;
}

export type Answer = DemoAnswer;

/** The Land's account service (the local OpenID provider) and the test service's optional login with the name prefilled. */
export interface PostfachLogin {
  issuer: string;
  clientId: string;
  secretEnv: string;
  secret: string;
}

/** `env`: settings of the stack beyond the test service's (limits a test lowers). */
export async function startPostfachStack(login?: PostfachLogin, env: Record<string, string> = {}): Promise<PostfachStack> {
  const smtp = await startTestSmtp();
  const temp = copyProjectRoot('efa-postfach-');
  await addExtraService(temp.root, { id: POSTFACH_SERVICE, leikaKey: '99999999999077', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 3 });
  editJson(join(temp.root, 'services', POSTFACH_SERVICE, 'schema.json'), (doc) => {
    const halter = (doc.properties as Record<string, { properties: Record<string, unknown> }>).halter as { properties: Record<string, unknown> };
    halter.properties.email = { title: 'E-Mail', type: 'string', format: 'email', maxLength: 200 };
  });
  editJson(join(temp.root, 'services', POSTFACH_SERVICE, 'service.json'), (doc) => {
    doc.contact = { email: '/halter/email' };
    if (login) doc.login = { mode: 'optional', prefill: [{ pointer: '/halter/name', attribute: 'fullName' }] };
  });
  if (login) editJson(join(temp.root, 'tenants', 'sh.json'), (doc) => { doc.accounts = { adapter: 'oidc', issuer: login.issuer, clientId: login.clientId, clientSecretEnv: login.secretEnv }; });
  const stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, ...smtp.env, ...(login ? { [login.secretEnv]: login.secret } : {}), ...env } });
  const keys = loadDemoAuthorities(temp.root);
  const authorities = new Map<TransportName, ReceiverAuthority>();
  for (const transport of TRANSPORTS) {
    const entry = [...stack.rt.routing.directory.values()].find((e) => e.transport === transport && e.serviceKey === '*' && keys.has(e.authorityId) && e.verificationKey);
    if (entry) authorities.set(transport, keys.get(entry.authorityId) as ReceiverAuthority);
  }
  return {
    stack, smtp, temp, authorities,
    async close() {
      await stack.close();
      await smtp.close();
      temp.remove();
    },
  };
}

/** One application for the authority of `transport`, stored as the submit route stores it, handed to delivery. */
export async function apply(ps: PostfachStack, transport: TransportName, email = `${randomUUID().slice(0, 8)}@example.org`): Promise<Application> {
  const { rt } = ps.stack;
  const authority = ps.authorities.get(transport);
  if (!authority) throw new Error(`the demo directory has no ${transport} authority with keys`);
  const service = rt.services.get(POSTFACH_SERVICE);
  if (!service) throw new Error('test service missing');
  const data = example(1);
  (data.halter as Record<string, unknown>).email = email;
  const endpoint = endpointFor(rt.routing, authority.id, service.definition.leikaKey);
  if (!endpoint) throw new Error(`no directory entry for ${authority.id}`);
  const key = newStatusKey();
  const record = await storeSubmission(rt.db, {
    tenant: 'sh', service, data, logicCtx: newLogicContext({}, 'sh', new Date().toISOString().slice(0, 10)),
    responsible: { authority: rt.routing.authorities.get(authority.id) as never, endpoint, region: '010020000000' },
    statusKeySha256: key.sha256, notifySealed: sealNotifyAddress(rt.drafts, rt.mailer, email),
  });
  if (record.deliveryMode === 'push') rt.dispatch(record.id);
  return { id: record.id, reference: record.reference, key: key.key, email, authority };
}

/** Waits until the authority has the application (delivered, or fetched over the pull API). */
export async function received(ps: PostfachStack, app: Application, pullToken?: string): Promise<void> {
  if (pullToken) {
    const res = await fetch(`${ps.stack.url}/_efa/api/v1/submissions/${app.id}`, { headers: { authorization: `Bearer ${pullToken}` } });
    if (res.status !== 200) throw new Error(`pull fetch answered ${res.status}: ${await res.text()}`);
  }
  await waitUntil(async () => (await ps.stack.rt.db.query<{ status: string }>('SELECT status FROM submissions WHERE id = $1', [app.id])).rows[0]?.status !== 'submitted', 30_000, `delivery of ${app.id}`);
}

/** What the authority's system sends back over `transport`, signed with `signingKey` (its own unless a test forges). */
export function answerRequest(transport: Exclude<TransportName, 'pull'>, app: Application, answer: Answer, signingKey: JWK = app.authority.signingKey): ReturnType<typeof demoAnswerRequest> {
  return demoAnswerRequest(transport, { authorityId: app.authority.id, submissionId: app.id }, answer, signingKey);
}

export async function pullToken(ps: PostfachStack): Promise<string> {
  const pull = ps.authorities.get('pull');
  const creds = ps.stack.pullCredentials.find((c) => c.authorityId === pull?.id);
  if (!creds) throw new Error('no pull credentials for the pull authority');
  const res = await fetch(`${ps.stack.url}/_efa/oauth/token`, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials',
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
