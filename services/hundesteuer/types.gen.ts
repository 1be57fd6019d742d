/* Generated from schema.json by json-schema-to-typescript (npm run gen:types). Do not edit. */

export type Vorname = string;
export type Familienname = string;
export type Geburtsdatum = string;
export type EMailAdresse = string;
export type Strasse = string;
export type Hausnummer = string;
export type Postleitzahl = string;
export type Ort = string;
export type GemeindeAmtlicherRegionalschlussel = string;
export type Rufname = string;
export type Rasse = string;
export type Geschlecht = Hundin | Rude;
export type Hundin = "huendin";
export type Rude = "ruede";
export type Wurfdatum = string;
export type BeginnDerHaltung = string;
export type TranspondernummerChip = string;
/**
 * @minItems 1
 * @maxItems 10
 */
export type Hunde = Hund[];

/**
 * Anmeldung eines oder mehrerer Hunde zur Hundesteuer nach der Hundesteuersatzung der Gemeinde.
 */
export interface Hundesteuer {
  halter: HalterinOderHalter;
  hunde: Hunde;
}
export interface HalterinOderHalter {
  vorname: Vorname;
  familienname: Familienname;
  geburtsdatum: Geburtsdatum;
  email?: EMailAdresse;
  anschrift: AnschriftHauptwohnsitz;
}
export interface AnschriftHauptwohnsitz {
  strasse: Strasse;
  hausnummer: Hausnummer;
  plz: Postleitzahl;
  ort: Ort;
  ars: GemeindeAmtlicherRegionalschlussel;
}
export interface Hund {
  name: Rufname;
  rasse: Rasse;
  geschlecht: Geschlecht;
  wurfdatum: Wurfdatum;
  haltungsbeginn: BeginnDerHaltung;
  chipnummer?: TranspondernummerChip;
  nachweis?: NachweisFurEinenListenhund;
}
export interface NachweisFurEinenListenhund {
  id: string;
  filename: string;
  mediaType: "application/pdf" | "image/jpeg" | "image/png";
  size: number;
  sha512: string;
}
