import { fileRefsIn } from '../../src/attachments/references.js';
import { FORMATS_DIR, type Runtime } from '../../src/runtime.js';
import type { LogicContext } from '../../src/services/contract.js';
import { newLogicContext } from '../../src/services/context.js';
import { loadExamples } from '../../src/services/examples.js';
import type { LoadedService } from '../../src/services/registry.js';
import { resolveResponsible, type Responsible } from '../../src/submissions/submit.js';

/** What storeSubmission needs besides the database: an application an authority is connected for. */
export interface SubmittableInput {
  tenant: string;
  service: LoadedService;
  data: unknown;
  logicCtx: LogicContext;
  responsible: Responsible;
}

/**
 * Any declared service's example that an authority is connected for, in a Land offering it; not
 * one with uploads, whose files would have to be in a draft first. Tests that store submissions
 * directly take it, so they hold whichever services are declared.
 */
export function submittableExample(rt: Runtime, today = '2026-12-01'): SubmittableInput {
  for (const service of rt.services.values()) {
    for (const example of loadExamples(service, FORMATS_DIR, today)) {
      const tenant = [...rt.tenants.values()].find((tn) => tn.serviceTexts.has(service.definition.id));
      if (!tenant || fileRefsIn(example.data).length > 0) continue;
      try {
        const responsible = resolveResponsible(rt.routing, service, example.data);
        return { tenant: tenant.id, service, data: example.data, logicCtx: newLogicContext(tenant.parameters.get(service.definition.id) ?? {}, tenant.id, today), responsible };
      } catch {
        // no authority for this example's region: try the next
      }
    }
  }
  throw new Error('no declared service has an example with a responsible authority');
}
