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

  constructor(file: string, path: string, problem: string) {
    super('EFA_DECLARATION_INVALID', `${file}: ${path || '/'}: ${problem}`, 500);
    this.file = file;
    this.path = path;
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
