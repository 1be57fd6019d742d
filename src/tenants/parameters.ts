/**
 * Local parameters: a Land sets a service's parameters (tenants/<land>.json
 * services.<id>.parameters) and may override them for a Kreis or a municipality by ARS prefix
 * (services.<id>.local), each override with optional validity dates. For one applicant the
 * longest prefix of their region's ARS that is in force on the day wins, parameter by parameter;
 * every combination stays within the bounds the lead Land declared in service.json.
 */
import type { ErrorObject } from 'ajv';
import { CrossReferenceError, DeclarationError } from '../core/errors.js';
import { describeAjvError, errorPath } from '../core/declarations.js';
import type { LoadedService } from '../services/registry.js';

export interface LocalOverride {
  /** ARS prefix: 2 (Land), 3 (Regierungsbezirk), 5 (Kreis), 9 (Gemeindeverband) or 12 digits (municipality). */
  ars: string;
  /** For the reader of the file, e.g. "Landeshauptstadt Kiel". */
  name?: string;
  /** First and last day (YYYY-MM-DD, inclusive) the values are in force; open when left out. */
  validFrom?: string;
  validTo?: string;
  parameters: Record<string, unknown>;
}

export interface ParameterTable {
  /** The Land's values, defaults filled in. */
  land: Record<string, unknown>;
  local: LocalOverride[];
}

const PREFIX_LENGTHS = [2, 3, 5, 9, 12];

/** The values in force for a region (12-digit ARS, or undefined while unknown) on a day. */
export function resolveParameters(table: ParameterTable, region: string | undefined, date: string): Record<string, unknown> {
  if (!region || table.local.length === 0) return table.land;
  const applicable = table.local
    .filter((o) => region.startsWith(o.ars) && inForce(o, date))
    .sort((a, b) => a.ars.length - b.ars.length);
  const values = { ...table.land };
  for (const override of applicable) Object.assign(values, override.parameters);
  return values;
}

function inForce(o: LocalOverride, date: string): boolean {
  return (o.validFrom === undefined || o.validFrom <= date) && (o.validTo === undefined || date <= o.validTo);
}

/**
 * Every problem of one service's local overrides, each with its JSON path in the tenant file:
 * a bad or foreign ARS prefix, dates in the wrong order, two entries for the same prefix in force
 * on the same day, an unknown parameter, or a value outside the service's bounds.
 */
export function checkLocalParameters(file: string, serviceId: string, service: LoadedService, land: Record<string, unknown>, local: LocalOverride[], landCode: string): DeclarationError[] {
  const problems: DeclarationError[] = [];
  const base = `/services/${serviceId}/local`;
  const known = new Set(Object.keys(service.definition.parameters ?? {}));
  local.forEach((o, i) => {
    const at = `${base}/${i}`;
    if (!/^[0-9]+$/.test(o.ars) || !PREFIX_LENGTHS.includes(o.ars.length)) {
      problems.push(new DeclarationError(file, `${at}/ars`, `"${o.ars}" is not an ARS prefix: 2 (Land), 3 (Regierungsbezirk), 5 (Kreis), 9 (Gemeindeverband) or 12 digits (municipality)`));
    } else if (!o.ars.startsWith(landCode)) {
      problems.push(new DeclarationError(file, `${at}/ars`, `"${o.ars}" lies outside this Land (its ARS start with ${landCode})`));
    }
    if (o.validFrom && o.validTo && o.validTo < o.validFrom) problems.push(new DeclarationError(file, `${at}/validTo`, `${o.validTo} is before validFrom ${o.validFrom}`));
    for (const name of Object.keys(o.parameters)) {
      if (!known.has(name)) problems.push(new CrossReferenceError('EFA_XREF_PARAMETER', file, `${at}/parameters/${name}`, `no parameter "${name}" in services/${serviceId}/service.json: a local override can only change a declared parameter; remove it or fix the name (known: ${[...known].join(', ') || 'none'})`));
    }
    const values = { ...land, ...Object.fromEntries(Object.entries(o.parameters).filter(([name]) => known.has(name))) };
    if (!service.validateParameters(values)) {
      for (const error of (service.validateParameters.errors ?? []) as ErrorObject[]) {
        if (error.keyword === 'oneOf' || error.keyword === 'anyOf') continue;
        problems.push(new DeclarationError(file, `${at}/parameters${errorPath(error)}`, `${describeAjvError(error)} (bounds of services/${serviceId}/service.json)`));
      }
    }
  });
  local.forEach((a, i) => {
    local.forEach((b, j) => {
      if (j <= i || a.ars !== b.ars || !overlap(a, b)) return;
      problems.push(new DeclarationError(file, `${base}/${j}`, `validity overlaps ${base}/${i} for the same ARS prefix ${a.ars} (${span(a)} and ${span(b)}): end one before the other starts`));
    });
  });
  return problems;
}

function overlap(a: LocalOverride, b: LocalOverride): boolean {
  const startA = a.validFrom ?? '0000-00-00';
  const startB = b.validFrom ?? '0000-00-00';
  const endA = a.validTo ?? '9999-99-99';
  const endB = b.validTo ?? '9999-99-99';
  return startA <= endB && startB <= endA;
}

function span(o: LocalOverride): string {
  return `${o.validFrom ?? 'open'} – ${o.validTo ?? 'open'}`;
}
