import type { ResponsibilityIndex } from './responsibility.js';
import type { Authority } from './types.js';
import type { DirectoryEntry } from '../transports/types.js';

/* The compiled dataset, in its own module: compile.ts makes it and load.ts hands it out, so neither imports the other. */

/** Which dataset is in force: the seed files (version 0) or a version stored in the database. */
export interface RoutingVersionInfo {
  version: number;
  source: 'seed' | 'database';
  createdAt?: string;
  createdBy?: string;
  comment?: string;
  /** When this process built its index from it. */
  loadedAt: string;
}

export interface RoutingData {
  authorities: Map<string, Authority>;
  responsibility: ResponsibilityIndex;
  /** Directory: `${authorityId}|${serviceKey}` -> entry. */
  directory: Map<string, DirectoryEntry>;
  version?: RoutingVersionInfo;
}
