import { lookup } from 'node:dns/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { LocatedDocument } from './document.js';
import type { RoutingData } from './load.js';
import type { ProblemList } from './problems.js';
import { isInternalHostName, isNonPublicAddress, outboundPolicy } from '../transports/http.js';

/** DNS answers slower than this leave the check to the send itself (which checks every connection). */
const LOOKUP_TIMEOUT_MS = 2_000;

/**
 * Routing data can be written through the admin API, so an address is a request the runtime will
 * make: where outbound HTTP may not reach non-public targets (production), an address that names
 * or resolves to loopback, a private network or link-local (cloud metadata) is refused at import,
 * not only when a delivery tries it. A name that does not resolve now is left to the send-time check.
 */
export async function checkPublicTargets(input: LocatedDocument, routing: RoutingData, problems: ProblemList): Promise<void> {
  if (outboundPolicy().allowPrivateTargets) return;
  const resolved = new Map<string, Promise<string | undefined>>();
  const firstNonPublic = (host: string) => {
    let pending = resolved.get(host);
    if (!pending) {
      pending = nonPublicAddressOf(host);
      resolved.set(host, pending);
    }
    return pending;
  };
  await Promise.all(input.directory.rows.map(async (row, i) => {
    const address = routing.directory.get(`${row.authorityId}|${row.serviceKey}`)?.address;
    if (!address) return;
    let host: string;
    try {
      host = new URL(address).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return;
    }
    const bad = isNonPublicAddress(host) || isInternalHostName(host) ? host : await firstNonPublic(host);
    if (bad) problems.add(input.directory.locate(i, 'address'), `${host}${bad !== host ? ` resolves to ${bad}, which` : ''} is not a public address: loopback, private and link-local targets are refused (EFA_ALLOW_PRIVATE_TARGETS)`);
  }));
}

async function nonPublicAddressOf(host: string): Promise<string | undefined> {
  const timeout = delay(LOOKUP_TIMEOUT_MS, undefined, { ref: false });
  const answer = lookup(host, { all: true }).then((list) => list.find((a) => isNonPublicAddress(a.address))?.address, () => undefined);
  return Promise.race([answer, timeout]);
}
