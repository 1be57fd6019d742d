import { EfaError } from '../core/errors.js';

/** A login answer was refused (tampered, expired, replayed, wrong audience, IdP error, …). */
export class LoginError extends EfaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EFA_LOGIN_FAILED', message, 400, options);
  }
}

/**
 * The account service could not log the person in at the level the service needs (SAML
 * `NoAuthnContext`): the applicant gets the page that explains the level, not a failure.
 */
export class LoginLevelError extends LoginError {
  override readonly code = 'EFA_LOGIN_LEVEL';
}

/** A tenant's account service configuration is invalid or a secret it names is unset. */
export class AccountConfigError extends EfaError {
  constructor(message: string) {
    super('EFA_ACCOUNT_CONFIG', message, 500);
  }
}
