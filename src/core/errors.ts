/**
 * Every error the runtime raises on purpose is an EfaError with a stable code, an HTTP status and a
 * developer message. User-facing (German/English) texts live in the forms layer, never here, so a
 * developer message may name files and paths without leaking into citizen pages.
 */
export class EfaError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** A declarative file (service, form, tenant, routing) is missing or invalid. */
export class DeclarationError extends EfaError {
  readonly file: string;
  readonly path: string;

  constructor(file: string, path: string, problem: string, code = 'EFA_DECLARATION_INVALID') {
    super(code, `${file}: ${path || '/'}: ${problem}`, 500);
    this.file = file;
    this.path = path;
  }
}

/**
 * What a declaration names does not exist where it should: each kind has its own stable code, so
 * `efa check` output can be filtered and the docs (docs/services.md, "efa check") explain each.
 */
export const CROSS_REFERENCE_CODES = {
  /** A form field's pointer is not a property of the service's schema. */
  EFA_XREF_POINTER: 'form field pointer not in the schema',
  /** A condition reads an answer that no field (of an earlier step) gives. */
  EFA_XREF_ANSWER: 'condition reads an unknown or later answer',
  /** A condition, a tenant or a local override names a parameter the service does not declare. */
  EFA_XREF_PARAMETER: 'undeclared service parameter',
  /** A condition or a display item names a derived value service.json does not declare. */
  EFA_XREF_DERIVED: 'undeclared derived value',
  /** A schema references a code list (or version) not under codelists/, or a tenant restricts one the service does not use or with codes it lacks. */
  EFA_XREF_CODELIST: 'unknown code list, version or code',
  /** A conditional step is shown by none of the service's examples (preview --all cannot show it). */
  EFA_XREF_EXAMPLE: 'conditional step without an example',
  /** A tenant, form, text override or routing entry names a service that is not there (or a service has no form). */
  EFA_XREF_SERVICE: 'unknown service or missing form',
  /** A tenant offers a service whose login is required or optional but declares no account service. */
  EFA_XREF_ACCOUNTS: 'login without an account service',
  /** A tenant's offer names a portal (service family) the tenant does not declare under /portals. */
  EFA_XREF_PORTAL: 'unknown portal',
  EFA_XREF_PAYMENT: 'payment before submit without a payment provider',
} as const;

export type CrossReferenceCode = keyof typeof CROSS_REFERENCE_CODES;

/** A declaration refers to something that does not exist (see CROSS_REFERENCE_CODES). */
export class CrossReferenceError extends DeclarationError {
  constructor(code: CrossReferenceCode, file: string, path: string, problem: string) {
    super(file, path, problem, code);
  }
}

/** Several independent mistakes found in one pass (e.g. every local parameter violation), one per line. */
export class DeclarationErrors extends EfaError {
  readonly problems: DeclarationError[];

  constructor(problems: DeclarationError[]) {
    super('EFA_DECLARATION_INVALID', `${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p.message}`).join('\n')}`, 500);
    this.problems = problems;
  }
}

/** An environment variable has a value the runtime cannot use. */
export class ConfigError extends EfaError {
  constructor(message: string) {
    super('EFA_CONFIG_INVALID', message, 500);
  }
}

export class NotFoundError extends EfaError {
  constructor(message: string) {
    super('EFA_NOT_FOUND', message, 404);
  }
}

/** No authority is responsible for (service, region): the applicant must hear this before submit. */
export class NoResponsibleAuthorityError extends EfaError {
  constructor(readonly leikaKey: string, readonly ars: string) {
    super('EFA_NO_RESPONSIBLE_AUTHORITY', `no authority responsible for service ${leikaKey} in region ${ars}`, 422);
  }
}

/** The directory has no endpoint for (authority, service). */
export class NoEndpointError extends EfaError {
  constructor(readonly authorityId: string, readonly serviceKey: string) {
    super('EFA_NO_ENDPOINT', `no directory entry for authority ${authorityId} and service ${serviceKey}`, 422);
  }
}

/**
 * A delivery attempt failed. `retryable` says whether trying again can help (a timeout or a 5xx)
 * or not (the receiver rejected the message as malformed).
 */
export class TransportError extends EfaError {
  readonly retryable: boolean;

  constructor(transport: string, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super('EFA_TRANSPORT_FAILED', `${transport}: ${message}`, 502, options);
    this.retryable = retryable;
  }
}

/** Redis did not answer in time (it is down or unreachable): a producer's command, or connecting. */
export class RedisTimeoutError extends EfaError {
  constructor(what: string, ms: number) {
    super('EFA_REDIS_TIMEOUT', `Redis did not answer (${what}) within ${ms} ms`, 503);
  }
}
