import { Worker } from 'node:worker_threads';
import { EfaError } from '../core/errors.js';
import { compileRouting, type CompileOptions, type CompiledRouting } from './compile.js';
import { TABLES, type LocatedDocument, type RoutingDocument, type TableName } from './document.js';
import { formatLocation, RoutingDataError, type Location, type Problem } from './problems.js';
import { ResponsibilityIndex, type IndexState } from './responsibility.js';
import type { Authority } from './types.js';
import type { DirectoryEntry } from '../transports/types.js';

/**
 * Compiling a nationwide dataset (validation of every row, the index) takes the better part of a
 * second; on the event loop that is a second in which no request is answered. From `workerRows`
 * rows on it runs in a worker thread and only the result comes back (Maps in structured-clone
 * form, rebuilt without checking again). Small datasets, like the demo data every embedded start
 * reads, compile inline: starting a worker costs more than it saves there (bench/routing.ts).
 */
export const DEFAULT_WORKER_ROWS = 20_000;

export interface CompileRequest {
  document: RoutingDocument;
  opts: CompileOptions;
}

export type CompileResponse =
  | { ok: true; authorities: Map<string, Authority>; index: IndexState; directory: Map<string, DirectoryEntry>; document: RoutingDocument; warnings: Problem[] }
  | { ok: false; problems: Problem[]; truncated: boolean }
  | { ok: false; message: string };

/** Tells a compile in progress in a worker, so an operator (and a test) can see one run. */
export interface CompileProgress {
  rows: number;
  since: string;
}

/** Compiles inline or in a worker thread, by size; errors and locations as compileRouting's. */
export async function compileAnywhere(input: LocatedDocument, opts: CompileOptions, workerRows: number, progress?: (p: CompileProgress | undefined) => void): Promise<CompiledRouting> {
  const rows = input.authorities.rows.length + input.responsibilities.rows.length + input.directory.rows.length;
  if (rows < workerRows) return compileRouting(input, opts);
  progress?.({ rows, since: new Date().toISOString() });
  try {
    return await compileInWorker(input, opts);
  } finally {
    progress?.(undefined);
  }
}

async function compileInWorker(input: LocatedDocument, opts: CompileOptions): Promise<CompiledRouting> {
  const request: CompileRequest = {
    document: { authorities: input.authorities.rows, responsibilities: input.responsibilities.rows, directory: input.directory.rows, keys: input.keys },
    opts: { env: { ...opts.env }, ...(opts.routingDir ? { routingDir: opts.routingDir } : {}), ...(opts.requireVerificationKeys !== undefined ? { requireVerificationKeys: opts.requireVerificationKeys } : {}) },
  };
  const response = await new Promise<CompileResponse>((resolve, reject) => {
    const worker = startWorker();
    let settled = false;
    worker.once('message', (m: CompileResponse) => { settled = true; resolve(m); void worker.terminate(); });
    worker.once('error', (err) => { settled = true; reject(err); });
    worker.once('exit', (code) => { if (!settled) reject(new EfaError('EFA_ROUTING_WORKER', `the routing compile worker ended with code ${code}`, 500)); });
    worker.postMessage(request);
  });
  if (!response.ok) {
    if ('problems' in response) throw new RoutingDataError(response.problems.map((p) => unmark(p, input)), response.truncated);
    throw new EfaError('EFA_ROUTING_WORKER', response.message, 500);
  }
  return {
    routing: { authorities: response.authorities, responsibility: ResponsibilityIndex.fromState(response.index), directory: response.directory },
    document: response.document,
    warnings: response.warnings.map((w) => unmark(w, input)),
  };
}

/** The worker as JavaScript (dist/) or, from the sources, through tsx, which the worker must load itself. */
function startWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './compile-worker.ts' : './compile-worker.js', import.meta.url);
  if (!fromSource || process.execArgv.some((a) => /\btsx\b/.test(a))) return new Worker(entry);
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true });
}

/*
 * Locations cannot cross threads as functions: the worker locates row i of a table as a marker,
 * which the main thread turns back into where the row came from (a CSV line, a JSON path, a
 * version), in the location and in messages that name another row ("first at …").
 */
const MARK_SOURCE = '\uE001routing';
const MARK = /\uE001routing: \uE002([a-z]+)\uE003([0-9]+)\uE003([^\uE002]*)\uE002/g;

export function markedDocument(doc: RoutingDocument): LocatedDocument {
  const table = <T>(name: TableName, rows: T[]) => ({ rows, locate: (i: number, f?: string): Location => ({ source: MARK_SOURCE, path: `\uE002${name}\uE003${i}\uE003${f ?? ''}\uE002` }) });
  return { authorities: table('authorities', doc.authorities), responsibilities: table('responsibilities', doc.responsibilities), directory: table('directory', doc.directory), keys: doc.keys };
}

function unmark(p: Problem, input: LocatedDocument): Problem {
  const real = (name: string, i: string, f: string): Location => {
    const t = (TABLES as readonly string[]).includes(name) ? input[name as TableName] : undefined;
    return t ? t.locate(Number(i), f === '' ? undefined : f) : { source: 'routing data' };
  };
  const message = p.message.replace(MARK, (_m, name: string, i: string, f: string) => formatLocation(real(name, i, f)));
  if (p.source !== MARK_SOURCE) return { ...p, message };
  const m = /^\uE002([a-z]+)\uE003([0-9]+)\uE003([^\uE002]*)\uE002$/.exec(p.path ?? '');
  return m ? { ...real(m[1] as string, m[2] as string, m[3] as string), message } : { source: 'routing data', message };
}
