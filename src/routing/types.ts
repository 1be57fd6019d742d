export interface Authority {
  id: string;
  /** The official (German) name: stored with each submission and delivered. */
  name: string;
  /** The name on English pages and receipts, when the authority declares one (else `name`). */
  nameEn?: string;
  /** Postal address shown to the applicant (check, confirmation and status pages, the PDF receipt). */
  address?: AuthorityAddress;
  /** Contact shown to the applicant on the same pages. */
  contact?: { email?: string; phone?: string; web?: string };
}

export interface AuthorityAddress {
  street?: string;
  postalCode?: string;
  city?: string;
}

/** Responsibility: for a service (LeiKa key, or "*" for all) and an ARS prefix, the authority. */
export interface ResponsibilityRule {
  leikaKey: string;
  arsPrefix: string;
  authorityId: string;
}
