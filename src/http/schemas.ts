/**
 * JSON Schema pieces shared by the route schemas of the operator and authority APIs. The route
 * schemas validate requests and are what @fastify/swagger turns into the OpenAPI description.
 */

/** Every API error: a stable code and a sentence for the developer. */
export const errorBody = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

/** The token endpoint's errors follow RFC 6749 5.2. */
export const oauthErrorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

export const bearer = [{ bearer: [] }];

/** Error answers every bearer-protected route can give. */
export const authErrors = {
  401: { description: 'no or an invalid bearer token', ...errorBody },
  403: { description: 'the token lacks the scope this route needs', ...errorBody },
} as const;

export const uuid = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' } as const;

/** A whole number given as a query string (the handler checks its range and says which bound). */
export const digits = { type: 'string', pattern: '^[0-9]+$', maxLength: 10 } as const;
