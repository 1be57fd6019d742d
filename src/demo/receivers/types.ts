import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import type { Inbox } from './inbox.js';
import type { CaughtMail } from '../mail-server.js';

/**
 * A local authority receiver stands in for an authority's Fachverfahren: in the demo (so that a
 * submission visibly arrives) and in tests (the outside world, speaking the real protocol over HTTP).
 * It holds the authority's private keys, which the central runtime never has.
 */
export interface ReceiverAuthority {
  id: string;
  name: string;
  /** Private RSA key: decrypts payloads encrypted for this authority. */
  decryptionKey: JWK;
  /** Private signing key: signs receipts, transport reports and event tokens. */
  signingKey: JWK;
}

export interface ReceiverOptions {
  authorities: Map<string, ReceiverAuthority>;
  inbox: Inbox;
  /** Public keys of the senders whose signatures this receiver accepts (the runtime's JWKS). */
  senderKeys: () => Promise<JWK[]>;
  /**
   * OAuth2 clients (client id -> client secret) the FIT-Connect receiver issues tokens to. Absent
   * or empty: it issues none, so nobody can submit there.
   */
  clients?: Map<string, string>;
  /**
   * How long after the submit a FIT-Connect destination posts its accept or reject event (default:
   * at once). Real destinations take minutes to hours; the sender must not wait for it.
   */
  fitConnectDecisionDelayMs?: number;
  /** The demo's caught e-mail notices (src/demo/mail-server.ts), shown at /mail. */
  mailbox?: readonly CaughtMail[];
  /** Where the runtime is: the "answer" button sends the authority's answer to its return paths. */
  runtimeUrl?: string;
  /**
   * The metadata versions the FIT-Connect destinations declare (`metadataVersions`), default
   * ["1.0.0"]; metadata of a version not declared is rejected, as a real destination would.
   */
  fitConnectMetadataVersions?: string[];
  /** FIT-Connect's Routing API with its own signing service (fit-connect-routing.ts). Absent: no Routing API here. */
  fitConnectRouting?: DemoRoutingApi;
}

/** What the local Routing API answers, and the signing service's key it signs addressing information with. */
export interface DemoRoutingApi {
  /** Private RSA key (PS512) of the signing service; its public part is published as the service's JWKS. */
  signingKey: JWK;
  /** `iss` of the signed addressing information. */
  issuer: string;
  /** The routes, read on every request (tests change them while the server runs). */
  routes: DemoRoute[];
}

export interface DemoRoute {
  leikaKey: string;
  /** The region (ARS of any level) this destination serves; the longest prefix of the asked ARS wins. */
  arsPrefix: string;
  destinationId: string;
  destinationName?: string;
  /** Host of the submission service named in the signature; default: the host the request came to. */
  submissionHost?: string;
  /** Served as it is instead of a signature made now (tests: a forged or foreign signature). */
  destinationSignature?: string;
}

/** Every protocol receiver is a function that adds its routes under its own prefix. */
export type ReceiverPlugin = (app: FastifyInstance, options: ReceiverOptions) => Promise<void>;
