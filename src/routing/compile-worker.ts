/**
 * Worker thread entry (src/routing/compile-thread.ts): compiles one routing dataset away from the
 * event loop and sends back what the main thread needs, in structured-clone form.
 */
import { parentPort } from 'node:worker_threads';
import { compileRouting } from './compile.js';
import { RoutingDataError } from './problems.js';
import { markedDocument, type CompileRequest, type CompileResponse } from './compile-thread.js';

parentPort?.once('message', (request: CompileRequest) => {
  let response: CompileResponse;
  try {
    const { routing, document, warnings } = compileRouting(markedDocument(request.document), request.opts);
    response = { ok: true, authorities: routing.authorities, index: routing.responsibility.state(), directory: routing.directory, document, warnings };
  } catch (err) {
    response = err instanceof RoutingDataError
      ? { ok: false, problems: err.problems, truncated: err.truncated }
      : { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(response);
});
