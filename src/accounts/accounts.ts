import type { Queryable } from '../storage/db.js';
import { AccountConfigError } from './errors.js';
import { authAdapterNamed } from './registry.js';
import { Sealer } from './sealed.js';
import { SessionStore } from './sessions.js';
import type { AccountServiceConfig, AuthAdapter } from './types.js';

/** Each tenant's login adapter (built on first use) and the sessions, as the runtime holds them. */
export class AccountServices {
  readonly sessions: SessionStore;
  private readonly adapters = new Map<string, Promise<AuthAdapter>>();

  constructor(private readonly db: Queryable, private readonly configs: ReadonlyMap<string, AccountServiceConfig>, private readonly env: Record<string, string | undefined>, private readonly allowInsecure: boolean, sealKey: string, ttlMinutes?: number) {
    this.sessions = new SessionStore(db, new Sealer(sealKey), ttlMinutes);
  }

  /** Whether the tenant has an account service at all. */
  configured(tenantId: string): boolean {
    return this.configs.has(tenantId);
  }

  adapterFor(tenantId: string): Promise<AuthAdapter> {
    let adapter = this.adapters.get(tenantId);
    if (!adapter) {
      const config = this.configs.get(tenantId);
      if (!config) return Promise.reject(new AccountConfigError(`tenant ${tenantId} has no account service (accounts in tenants/${tenantId}.json)`));
      adapter = authAdapterNamed(config.adapter)({ tenantId, config, db: this.db, allowInsecure: this.allowInsecure, secret: (name) => this.secret(tenantId, name) });
      adapter.catch(() => this.adapters.delete(tenantId));
      this.adapters.set(tenantId, adapter);
    }
    return adapter;
  }

  private secret(tenantId: string, name: string): string {
    const value = this.env[name];
    if (!value) throw new AccountConfigError(`tenant ${tenantId}: the environment variable ${name} (its account service's secret) is not set`);
    return value;
  }
}
