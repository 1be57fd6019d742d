/**
 * A text in German and optionally other languages: a plain string is German. Services, forms,
 * tenants and code lists all carry texts so; the service contract (src/services/contract.ts) names
 * it for service authors.
 */
export type LocalText = string | { de: string; [lang: string]: string };
