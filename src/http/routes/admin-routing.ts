import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { EfaError, NotFoundError } from '../../core/errors.js';
import type { Runtime } from '../../runtime.js';
import { FORMATS_DIR } from '../../runtime.js';
import { formatBytes, ImportTooLargeError, limitBytes, tableFromCsvStream, tableToCsv } from '../../routing/csv.js';
import { applyChanges, isTableName, replaceTables, type RoutingPatch, type TableName } from '../../routing/document.js';
import { patchFromText } from '../../routing/imports.js';
import { changesFromJson, parseJsonText } from '../../routing/json.js';
import { endpointFor } from '../../routing/load.js';
import { RoutingDataError, RoutingVersionConflictError, formatProblem } from '../../routing/problems.js';
import type { RoutingStore, WriteMeta, WriteResult } from '../../routing/store.js';
import { apiError, requireScope, type ApiAuthOptions } from '../api-auth.js';
import { authErrors, bearer, digits, errorBody } from '../schemas.js';

export interface AdminRoutingOptions {
  rt: Runtime;
  auth: ApiAuthOptions;
}

const PREFIX = '/_efa/admin/routing';
const SOURCE = 'request body';

interface RouteTypes { Params: Record<string, string>; Querystring: Record<string, string | undefined> }
type Req = FastifyRequest<RouteTypes>;

const tags = ['operator: routing'];
const versionQuery = { type: 'object', properties: { version: { ...digits, description: 'a stored version; default: the one in force' } } } as const;
const writeQuery = {
  type: 'object',
  properties: { comment: { type: 'string', maxLength: 500 }, dryRun: { type: 'string', description: 'true or 1: validate only, store nothing' } },
} as const;
const tableParams = { type: 'object', required: ['table'], properties: { table: { type: 'string', description: 'authorities, responsibilities or directory' } } } as const;
const written = { type: 'object', additionalProperties: true, properties: { version: { type: 'integer' }, created: { type: 'boolean' }, counts: { type: 'object', additionalProperties: true }, warnings: { type: 'array', items: { type: 'object', additionalProperties: true } } } } as const;
const invalid = { description: 'the routing data has problems; nothing was stored', type: 'object', additionalProperties: true, properties: { error: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'object', additionalProperties: true } } } } as const;
const writeErrors = { 400: errorBody, 412: errorBody, 413: errorBody, 415: errorBody, 422: invalid, ...authErrors } as const;
const anyJson = { type: 'object', additionalProperties: true } as const;
const schemas = {
  info: { tags, security: bearer, summary: 'The routing version in force and its counts', response: { 200: anyJson, ...authErrors } },
  versions: { tags, security: bearer, summary: 'Stored routing versions, newest first', querystring: { type: 'object', properties: { limit: digits } }, response: { 200: anyJson, 400: errorBody, ...authErrors } },
  document: { tags, security: bearer, summary: 'A whole routing version as one JSON document', querystring: versionQuery, response: { 200: anyJson, 400: errorBody, 404: errorBody, ...authErrors } },
  resolve: {
    tags, security: bearer, summary: 'Which authority and endpoint a service key and region resolve to',
    querystring: { type: 'object', properties: { leikaKey: { type: 'string', pattern: '^[0-9]{14}$' }, ars: { type: 'string', pattern: '^[0-9]{2,12}$' } } },
    response: { 200: anyJson, 400: errorBody, 404: errorBody, ...authErrors },
  },
  authority: { tags, security: bearer, summary: 'One authority with its responsibilities and directory entries', params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, response: { 200: anyJson, 404: errorBody, ...authErrors } },
  table: {
    tags, security: bearer, summary: 'One table as JSON, or as CSV (format=csv or Accept: text/csv)', params: tableParams,
    querystring: { type: 'object', properties: { ...versionQuery.properties, format: { type: 'string', description: 'csv for CSV' } } },
    response: { 200: { description: 'the table (JSON array or CSV)' }, 400: errorBody, 404: errorBody, ...authErrors },
  },
  import: { tags, security: bearer, summary: 'Replace the tables in the JSON document (application/json) as a new version', querystring: writeQuery, response: { 200: written, 201: written, ...writeErrors } },
  replace: { tags, security: bearer, summary: 'Replace one table (application/json or text/csv) as a new version', params: tableParams, querystring: writeQuery, response: { 200: written, 201: written, ...writeErrors } },
  changes: { tags, security: bearer, summary: 'Apply a list of changes (application/json) as a new version', querystring: writeQuery, response: { 200: written, 201: written, ...writeErrors } },
  reload: { tags, security: bearer, summary: 'Re-read the newest version (or the seed files) in this process', response: { 200: anyJson, ...authErrors } },
  restore: {
    tags, security: bearer, summary: 'Store an older version\'s content as a new version', params: { type: 'object', required: ['version'], properties: { version: digits } },
    querystring: writeQuery, response: { 200: written, 201: written, 404: errorBody, ...writeErrors },
  },
};

/**
 * The operator's routing API: read the data in force and its versions, import JSON or CSV, apply
 * changes, reload and restore. Every write is validated completely and becomes a new version that
 * all processes pick up; a write with any problem changes nothing (422 with every problem located).
 */
export async function adminRoutingRoutes(app: FastifyInstance, opts: AdminRoutingOptions): Promise<void> {
  const { rt } = opts;
  /** The nationwide dataset with 50 services is about 12 MB as JSON; default 32 MiB (EFA_ROUTING_IMPORT_MAX_BYTES). */
  const maxBytes = rt.config.ops.routingImportMaxBytes;
  // Bodies arrive as the request stream and are read by the handler: CSV record by record, JSON as
  // text (so a syntax error can name its line and column), both counted against the limit.
  app.addContentTypeParser(['application/json', 'text/csv', 'application/csv'], (_req, payload, done) => done(null, payload));
  app.setErrorHandler((err: FastifyError, req, reply) => sendError(err, req, reply));

  // onRequest, not preHandler: a caller without the scope is refused before its body is read.
  const read = { onRequest: requireScope(opts.auth, 'routing:read') as unknown as onRequestAsyncHookHandler };
  const write = { onRequest: requireScope(opts.auth, 'routing:write') as unknown as onRequestAsyncHookHandler };
  const store = (): RoutingStore => {
    if (!rt.routingStore) throw new EfaError('EFA_ROUTING_STORE_MISSING', 'this process has no routing store', 503);
    return rt.routingStore;
  };
  readRoutes(app, rt, read, store);
  writeRoutes(app, rt, write, store, maxBytes);
}

type ScopeCheck = { onRequest: onRequestAsyncHookHandler };

/** Reading the data in force, its versions, a stored version's tables, and what resolves where. */
function readRoutes(app: FastifyInstance, rt: Runtime, read: ScopeCheck, store: () => RoutingStore): void {
  app.get(PREFIX, { ...read, schema: schemas.info }, async (_req, reply) => {
    const info = rt.routing.version;
    const latest = await store().latestVersion();
    return reply.header('etag', `"${info?.version ?? 0}"`).header('cache-control', 'no-store').send({
      ...info, latestStored: latest,
      // A compile in a worker thread, while it runs: the version in force keeps answering meanwhile.
      compiling: store().compileInProgress() ?? null,
      counts: { authorities: rt.routing.authorities.size, responsibilities: rt.routing.responsibility.size, directory: rt.routing.directory.size },
    });
  });

  app.get(`${PREFIX}/versions`, { ...read, schema: schemas.versions }, async (req: Req, reply) => {
    const limit = intParam(req.query.limit, 'limit', 1, 1000) ?? 50;
    return reply.header('cache-control', 'no-store').send({ versions: await store().versions(limit) });
  });

  app.get(`${PREFIX}/document`, { ...read, schema: schemas.document }, async (req: Req, reply) => {
    const { version, document } = await store().document(intParam(req.query.version, 'version', 0, 2 ** 31 - 1));
    return reply.header('etag', `"${version}"`).header('cache-control', 'no-store').send({ $schema: 'https://efa-runtime.example/schemas/routing.schema.json', ...document });
  });

  app.get(`${PREFIX}/resolve`, { ...read, schema: schemas.resolve }, async (req: Req, reply) => {
    const { leikaKey, ars } = req.query;
    if (!leikaKey || !/^[0-9]{14}$/.test(leikaKey) || !ars || !/^[0-9]{2,12}$/.test(ars)) return apiError(reply, 400, 'bad_request', 'leikaKey (14 digits) and ars (2 to 12 digits) are required');
    const routing = rt.routing;
    const authorityId = routing.responsibility.resolve(leikaKey, ars);
    if (!authorityId) return apiError(reply, 404, 'no_responsible_authority', `no authority is responsible for service ${leikaKey} in region ${ars}`);
    const endpoint = endpointFor(routing, authorityId, leikaKey);
    return reply.header('cache-control', 'no-store').send({
      version: routing.version?.version ?? 0,
      authority: routing.authorities.get(authorityId),
      endpoint: endpoint ? { serviceKey: endpoint.serviceKey, transport: endpoint.transport, address: endpoint.address, payloadFormat: endpoint.payloadFormat, identifiers: endpoint.identifiers, encryptionKeyKid: endpoint.encryptionKey.kid } : null,
    });
  });

  app.get(`${PREFIX}/authorities/:id`, { ...read, schema: schemas.authority }, async (req: Req, reply) => {
    const id = req.params.id ?? '';
    const { version, document } = await store().document();
    const authority = document.authorities.find((a) => a.id === id);
    if (!authority) return apiError(reply, 404, 'not_found', `there is no authority "${id}" in version ${version}`);
    return reply.header('etag', `"${version}"`).header('cache-control', 'no-store').send({
      version, authority,
      responsibilities: document.responsibilities.filter((r) => r.authorityId === id),
      directory: document.directory.filter((d) => d.authorityId === id),
    });
  });

  app.get(`${PREFIX}/:table`, { ...read, schema: schemas.table }, async (req: Req, reply) => {
    const table = tableParam(req.params.table);
    const { version, document } = await store().document(intParam(req.query.version, 'version', 0, 2 ** 31 - 1));
    reply.header('etag', `"${version}"`).header('cache-control', 'no-store');
    if (req.query.format === 'csv' || (req.query.format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ''))) {
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${table}-v${version}.csv"`).send(tableToCsv(document, table));
    }
    return reply.send(document[table]);
  });
}

/** Every write is validated completely and becomes a new version (or, with ?dryRun=, only reports). */
function writeRoutes(app: FastifyInstance, rt: Runtime, write: ScopeCheck, store: () => RoutingStore, maxBytes: number): void {
  const body = (req: Req, accepted: Array<'json' | 'csv'>) => bodyOf(req, accepted, maxBytes);

  app.post(`${PREFIX}/import`, { ...write, schema: schemas.import }, async (req: Req, reply) => {
    const patch = patchFromText(await body(req, ['json']).text(), 'json', { source: SOURCE, formatsDir: FORMATS_DIR });
    return sendWritten(reply, await store().write((base) => replaceTables(base, patch), meta(req)));
  });

  app.put(`${PREFIX}/:table`, { ...write, schema: schemas.replace }, async (req: Req, reply) => {
    const table = tableParam(req.params.table);
    const input = body(req, ['json', 'csv']);
    const patch: RoutingPatch = input.format === 'csv'
      ? { [table]: await tableFromCsvStream(input.stream, table, SOURCE, maxBytes) }
      : patchFromText(await input.text(), 'json', { source: SOURCE, formatsDir: FORMATS_DIR, table });
    return sendWritten(reply, await store().write((base) => replaceTables(base, patch), meta(req)));
  });

  app.post(`${PREFIX}/changes`, { ...write, schema: schemas.changes }, async (req: Req, reply) => {
    const { changes, comment } = changesFromJson(parseJsonText(await body(req, ['json']).text(), SOURCE), SOURCE, FORMATS_DIR);
    return sendWritten(reply, await store().write((base, problems) => applyChanges(base, changes, problems), { ...meta(req), ...(comment ? { comment } : {}) }));
  });

  app.post(`${PREFIX}/reload`, { onRequest: write.onRequest, schema: schemas.reload }, async (_req, reply) => {
    const info = await store().reload();
    return reply.header('cache-control', 'no-store').send({ ...info, counts: { authorities: rt.routing.authorities.size, responsibilities: rt.routing.responsibility.size, directory: rt.routing.directory.size } });
  });

  app.post<RouteTypes>(`${PREFIX}/versions/:version/restore`, { onRequest: write.onRequest, schema: schemas.restore }, async (req: Req, reply) => {
    const version = intParam(req.params.version, 'version', 1, 2 ** 31 - 1) as number;
    return sendWritten(reply, await store().restore(version, meta(req)));
  });
}

/** Who, why, and on which version a write builds: from the token, ?comment=, ?dryRun= and If-Match. */
function meta(req: Req): WriteMeta {
  // A repeated parameter arrives as an array: refuse it rather than misread "dryRun" as a real write.
  for (const name of ['comment', 'dryRun'] as const) if (req.query[name] !== undefined && typeof req.query[name] !== 'string') throw new BadRequest(`${name} may be given once`);
  const comment = req.query.comment;
  if (comment !== undefined && comment.length > 500) throw new BadRequest('comment is longer than 500 characters');
  const ifMatch = req.headers['if-match'];
  let expectVersion: number | undefined;
  if (ifMatch && ifMatch.trim() !== '*') {
    const m = /^\s*(?:W\/)?"?(\d{1,10})"?\s*$/.exec(ifMatch);
    if (!m) throw new BadRequest('If-Match must be the ETag of a routing version, e.g. "7"');
    expectVersion = Number(m[1]);
  }
  return { by: req.principal?.clientId ?? 'unknown', ...(comment ? { comment } : {}), expectVersion, dryRun: req.query.dryRun === 'true' || req.query.dryRun === '1' };
}

function sendWritten(reply: FastifyReply, result: WriteResult): FastifyReply {
  reply.header('cache-control', 'no-store').header('etag', `"${result.version}"`);
  if (result.created) reply.code(201).header('location', `${PREFIX}/document?version=${result.version}`);
  return reply.send({ ...result, warnings: result.warnings.map((w) => ({ ...w, text: formatProblem(w) })) });
}

interface Body {
  format: 'json' | 'csv';
  /** The body as it arrives, stopped with 413 past the limit. */
  stream: AsyncIterable<Buffer>;
  /** The whole body as text (JSON), at most the limit. */
  text(): Promise<string>;
}

/** The request body as a stream of at most `maxBytes`; a Content-Length over the limit is refused before reading. */
function bodyOf(req: Req, accepted: Array<'json' | 'csv'>, maxBytes: number): Body {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const format = type === 'application/json' ? 'json' : type === 'text/csv' || type === 'application/csv' ? 'csv' : undefined;
  const names = accepted.map((f) => (f === 'json' ? 'application/json' : 'text/csv')).join(' or ');
  const raw = req.body as AsyncIterable<Buffer> | undefined;
  if (!format || !accepted.includes(format) || !raw || typeof raw[Symbol.asyncIterator] !== 'function') throw new EfaError('EFA_UNSUPPORTED_MEDIA_TYPE', `send ${names}${type ? `, not ${type}` : ''}`, 415);
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > maxBytes) throw new ImportTooLargeError(maxBytes);
  if (length === '0') throw new BadRequest('the body is empty');
  const stream = limitBytes(raw, maxBytes);
  return {
    format, stream,
    text: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') throw new BadRequest('the body is empty');
      return text;
    },
  };
}

function tableParam(name: string | undefined): TableName {
  if (!name || !isTableName(name)) throw new NotFoundError(`unknown routing table "${name ?? ''}": authorities, responsibilities or directory`);
  return name;
}

function intParam(raw: string | undefined, name: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[0-9]{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new BadRequest(`${name} must be a whole number from ${min} to ${max}`);
  return Number(raw);
}

class BadRequest extends EfaError {
  constructor(message: string) {
    super('EFA_BAD_REQUEST', message, 400);
  }
}

/** Every failure as the API's JSON error; routing problems carry their locations. */
function sendError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A body read only in part (a problem, the limit) is discarded as the rest arrives: a paused
  // request would keep its connection open, and the client could not read this answer.
  if (!req.raw.readableEnded) req.raw.resume();
  if (err instanceof RoutingDataError) {
    return reply.code(422).header('cache-control', 'no-store').send({
      error: 'routing_invalid', message: err.message, truncated: err.truncated,
      problems: err.problems.map((p) => ({ ...p, text: formatProblem(p) })),
    });
  }
  if (err instanceof RoutingVersionConflictError) return apiError(reply, 412, 'version_conflict', err.message);
  if (err instanceof NotFoundError) return apiError(reply, 404, 'not_found', err.message);
  if (err instanceof ImportTooLargeError) return apiError(reply, 413, 'payload_too_large', err.message);
  if (err instanceof EfaError && err.status < 500) return apiError(reply, err.status, err.status === 415 ? 'unsupported_media_type' : 'bad_request', err.message);
  const fastify = err as FastifyError;
  if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return apiError(reply, 413, 'payload_too_large', `the body is larger than ${formatBytes(req.routeOptions.bodyLimit ?? 0)}`);
  if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return apiError(reply, 415, 'unsupported_media_type', 'send application/json or text/csv');
  if (fastify.statusCode && fastify.statusCode >= 400 && fastify.statusCode < 500) return apiError(reply, fastify.statusCode, 'bad_request', fastify.message);
  req.log.error({ err }, 'admin routing API failed');
  return apiError(reply, err instanceof EfaError ? err.status : 500, 'internal_error', 'the routing data could not be processed; see the server log');
}
