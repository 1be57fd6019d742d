import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeclarationError } from '../core/errors.js';
import { describeAjvError, displayPath, errorPath, readJsonFile, validateDeclaration } from '../core/declarations.js';
import type { LocalText } from '../services/contract.js';
import { defaults, type LoadedService } from '../services/registry.js';
import { contrastRatio, MIN_TEXT_CONTRAST } from './contrast.js';

export interface TenantTheme {
  action: string;
  accent: string;
  headerBackground: string;
  headerText: string;
  font?: 'fira-sans' | 'noto-sans';
}

export interface TenantDefinition {
  id: string;
  land: string;
  name: LocalText;
  portalName: LocalText;
  hosts: string[];
  logo?: string;
  theme: TenantTheme;
  legal: { imprint: LocalText; privacy: LocalText; accessibility: LocalText; contact: { email: string; phone?: string } };
  services: Record<string, { parameters?: Record<string, unknown> }>;
}

export interface Tenant extends TenantDefinition {
  /** Parameter values per offered service, defaults filled in and bounds checked. */
  parameters: Map<string, Record<string, unknown>>;
  /** The tenant's stylesheet: KERN UX custom properties from its theme. */
  themeCss: string;
}

export async function loadTenants(root: string, formatsDir: string, services: Map<string, LoadedService>): Promise<Map<string, Tenant>> {
  const dir = join(root, 'tenants');
  const tenants = new Map<string, Tenant>();
  const hosts = new Map<string, string>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const file = join(dir, name);
    const tenant = loadTenant(file, root, formatsDir, services);
    if (`${tenant.id}.json` !== name) throw new DeclarationError(displayPath(file), '/id', `must equal the file name "${name.replace(/\.json$/, '')}"`);
    tenant.hosts.forEach((host, i) => {
      const other = hosts.get(host);
      if (other) throw new DeclarationError(displayPath(file), `/hosts/${i}`, `host "${host}" already belongs to tenant "${other}"`);
      hosts.set(host, tenant.id);
    });
    tenants.set(tenant.id, tenant);
  }
  if (tenants.size === 0) throw new DeclarationError(displayPath(dir), '', 'no tenant files (<id>.json) found');
  return tenants;
}

function loadTenant(file: string, root: string, formatsDir: string, services: Map<string, LoadedService>): Tenant {
  const def = validateDeclaration<TenantDefinition>(file, readJsonFile(file), join(formatsDir, 'tenant.schema.json'));
  const shown = displayPath(file);
  checkContrast(shown, def.theme);
  if (def.logo && !existsSync(join(root, 'tenants', def.logo))) throw new DeclarationError(shown, '/logo', `file tenants/${def.logo} does not exist`);
  const parameters = new Map<string, Record<string, unknown>>();
  for (const [serviceId, offer] of Object.entries(def.services)) {
    const service = services.get(serviceId);
    if (!service) throw new DeclarationError(shown, `/services/${serviceId}`, `no service "${serviceId}" under services/ (known: ${[...services.keys()].join(', ')})`);
    const values = { ...defaults(service.definition.parameters ?? {}), ...(offer.parameters ?? {}) };
    if (!service.validateParameters(values)) {
      const error = (service.validateParameters.errors ?? [])[0];
      const path = error ? errorPath(error) : '';
      throw new DeclarationError(shown, `/services/${serviceId}/parameters${path}`, error ? describeAjvError(error) : 'invalid');
    }
    parameters.set(serviceId, values);
  }
  return { ...def, parameters, themeCss: themeCss(def.theme) };
}

function checkContrast(file: string, theme: TenantTheme): void {
  const pairs: Array<[string, string, string, string]> = [
    ['/theme/action', theme.action, '#ffffff', 'white page background'],
    ['/theme/headerText', theme.headerText, theme.headerBackground, 'headerBackground'],
  ];
  for (const [path, fg, bg, against] of pairs) {
    const ratio = contrastRatio(fg, bg);
    if (ratio < MIN_TEXT_CONTRAST) {
      throw new DeclarationError(file, path, `contrast ${ratio.toFixed(2)}:1 of ${fg} against ${against} (${bg}) is below WCAG AA ${MIN_TEXT_CONTRAST}:1`);
    }
  }
}

/** KERN UX is themed by redefining its semantic custom properties; nothing else changes. */
function themeCss(theme: TenantTheme): string {
  const font = theme.font === 'noto-sans' ? '"Noto Sans", sans-serif' : '"Fira Sans", sans-serif';
  return `:root{--kern-color-action-default:${theme.action};--kern-color-action-visited:${theme.action};--kern-color-action-focus-default:${theme.accent};--kern-color-accent:${theme.accent};--kern-color-decorative-brand-default:${theme.headerBackground};--efa-header-bg:${theme.headerBackground};--efa-header-fg:${theme.headerText};--efa-accent:${theme.accent};--kern-typography-font-family-default:${font};}\n`;
}
