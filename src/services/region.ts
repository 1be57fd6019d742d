/**
 * region() of a service's logic on answers that may be incomplete, without an exception per page.
 */
import type { LoadedService } from './registry.js';

/**
 * region() on answers that may be incomplete: unknown until it yields a 12-digit ARS. Until the
 * place is answered, region() throws (data.halter.anschrift.ars of a draft without `halter`) on
 * every page of every step; an exception per render is costly, so the reads of the last call that
 * threw are kept per service, and while the answers give those reads the same values, the call
 * would throw again and is not made.
 */
export function regionOf(service: LoadedService, data: Record<string, unknown>): string | undefined {
  const failed = failedRegion.get(service);
  if (failed && readsAlike(failed, data)) return undefined;
  try {
    const ars = service.logic.region(data);
    return typeof ars === 'string' && /^[0-9]{12}$/.test(ars) ? ars : undefined;
  } catch {
    const reads = readsOfFailing(service, data);
    if (reads) failedRegion.set(service, reads);
    else failedRegion.delete(service);
    return undefined;
  }
}

/** One property read of the answers: its path and what it gave (a primitive, or the kind of object). */
interface Read { path: PropertyKey[]; seen: unknown }

const failedRegion = new WeakMap<LoadedService, Read[]>();
const ARRAY = Symbol('array');
const OBJECT = Symbol('object');

const seenOf = (value: unknown): unknown => (value === null || typeof value !== 'object' ? value : Array.isArray(value) ? ARRAY : OBJECT);

function readsAlike(reads: Read[], data: Record<string, unknown>): boolean {
  return reads.every(({ path, seen }) => {
    let value: unknown = data;
    for (const key of path) {
      if (value === null || typeof value !== 'object') return false;
      value = Reflect.get(value, key);
    }
    return Object.is(seenOf(value), seen);
  });
}

/**
 * region() once more, on a view of the answers that records every read. The reads count only if
 * the call throws again and did nothing but read properties: a call that listed keys, asked `in`,
 * or wrote may behave differently on answers that read alike.
 */
function readsOfFailing(service: LoadedService, data: Record<string, unknown>): Read[] | undefined {
  const reads: Read[] = [];
  let plain = true;
  const other = () => {
    plain = false;
    return false;
  };
  const wrap = (target: object, path: PropertyKey[]): object => new Proxy(target, {
    get(obj, key) {
      const value: unknown = Reflect.get(obj, key);
      const own = Reflect.getOwnPropertyDescriptor(obj, key);
      if (own && !own.configurable && !own.writable && typeof value === 'object' && value !== null) plain = false;
      reads.push({ path: [...path, key], seen: seenOf(value) });
      return typeof value === 'object' && value !== null ? wrap(value, [...path, key]) : value;
    },
    has: other, ownKeys: () => (other(), Reflect.ownKeys(target)), getOwnPropertyDescriptor: () => (other(), undefined), getPrototypeOf: () => (other(), Reflect.getPrototypeOf(target)),
    set: other, defineProperty: other, deleteProperty: other, setPrototypeOf: other, preventExtensions: other, isExtensible: () => (other(), Reflect.isExtensible(target)),
  });
  try {
    service.logic.region(wrap(data, []) as Record<string, unknown>);
    return undefined;
  } catch {
    return plain ? reads : undefined;
  }
}
