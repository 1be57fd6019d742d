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
export type Vorname1 = string;
export type Familienname1 = string;
export type Geburtsdatum1 = string;
export type BeziehungZuIhnen =
  | EhegattinEhegatteOderEingetrageneLebenspartnerinEingetragenerLebenspartner
  | LebensgefahrtinOderLebensgefahrte
  | Kind
  | MutterOderVater
  | AndereAngehorige;
export type EhegattinEhegatteOderEingetrageneLebenspartnerinEingetragenerLebenspartner = "ehegatte";
export type LebensgefahrtinOderLebensgefahrte = "partner";
export type Kind = "kind";
export type MutterOderVater = "elternteil";
export type AndereAngehorige = "sonstige";
/**
 * @minItems 0
 * @maxItems 12
 */
export type WeiterePersonenImHaushalt = Person[];
export type JahreseinkommenDesGanzenHaushaltsInEuroBrutto = number;
/**
 * @minItems 1
 * @maxItems 10
 */
export type Einkommensnachweise = Datei[];
/**
 * @minItems 0
 * @maxItems 5
 */
export type WeitereNachweise = Datei[];

/**
 * Antrag auf einen Wohnberechtigungsschein (§ 27 WoFG) für eine geförderte Mietwohnung.
 */
export interface Wohnberechtigungsschein {
  antragsteller: AntragstellerinOderAntragsteller;
  haushalt: WeiterePersonenImHaushalt;
  einkommen: Einkommen;
  nachweise: Nachweise;
}
export interface AntragstellerinOderAntragsteller {
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
export interface Person {
  vorname: Vorname1;
  familienname: Familienname1;
  geburtsdatum: Geburtsdatum1;
  beziehung: BeziehungZuIhnen;
}
export interface Einkommen {
  jahreseinkommenEuro: JahreseinkommenDesGanzenHaushaltsInEuroBrutto;
}
export interface Nachweise {
  einkommensnachweise: Einkommensnachweise;
  ausweis: Datei1;
  sonstige?: WeitereNachweise;
}
export interface Datei {
  id: string;
  filename: string;
  mediaType: "application/pdf" | "image/jpeg" | "image/png";
  size: number;
  sha512: string;
}
export interface Datei1 {
  id: string;
  filename: string;
  mediaType: "application/pdf" | "image/jpeg" | "image/png";
  size: number;
  sha512: string;
}
