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
export type AmtlichesKennzeichen = string;
export type Fahrzeugart = Personenkraftwagen | Kraftrad | WohnmobilBis35T;
export type Personenkraftwagen = "pkw";
export type Kraftrad = "kraftrad";
export type WohnmobilBis35T = "wohnmobil";
export type ZulassigeGesamtmasseInKg = number;
export type WemGehortDasFahrzeug =
  | EsIstAufMichZugelassen
  | FirmenwagenDenIchDauerhaftNutze
  | LeasingOderMietfahrzeugAufMeinenNamen
  | FahrzeugEinerOderEinesAngehorigenDasIchDauerhaftNutze;
export type EsIstAufMichZugelassen = "eigen";
export type FirmenwagenDenIchDauerhaftNutze = "firmenwagen";
export type LeasingOderMietfahrzeugAufMeinenNamen = "leasing";
export type FahrzeugEinerOderEinesAngehorigenDasIchDauerhaftNutze = "angehoerige";
export type GultigkeitsdauerInJahren = number & (Jahr | Jahre | Jahre1);
export type Jahr = 1;
export type Jahre = 2;
export type Jahre1 = 3;

/**
 * Antrag auf einen Parkausweis für Bewohner (§ 45 Abs. 1b Nr. 2a StVO).
 */
export interface Bewohnerparkausweis {
  antragsteller: AntragstellerinOderAntragsteller;
  fahrzeug: Fahrzeug;
  ausweis: Ausweis;
  nachweise: Nachweise;
}
export interface AntragstellerinOderAntragsteller {
  vorname: Vorname;
  familienname: Familienname;
  geburtsdatum: Geburtsdatum;
  email?: EMailAdresse;
  anschrift: AnschriftHauptwohnsitzImBewohnerparkgebiet;
}
export interface AnschriftHauptwohnsitzImBewohnerparkgebiet {
  strasse: Strasse;
  hausnummer: Hausnummer;
  plz: Postleitzahl;
  ort: Ort;
  ars: GemeindeAmtlicherRegionalschlussel;
}
export interface Fahrzeug {
  kennzeichen: AmtlichesKennzeichen;
  fahrzeugart: Fahrzeugart;
  gesamtmasseKg: ZulassigeGesamtmasseInKg;
  nutzung: WemGehortDasFahrzeug;
}
export interface Ausweis {
  jahre: GultigkeitsdauerInJahren;
}
export interface Nachweise {
  meldebescheinigung: Meldebescheinigung;
  nutzungsnachweis?: NachweisDerDauerhaftenNutzung;
}
export interface Meldebescheinigung {
  id: string;
  filename: string;
  mediaType: "application/pdf" | "image/jpeg" | "image/png";
  size: number;
  sha512: string;
}
export interface NachweisDerDauerhaftenNutzung {
  id: string;
  filename: string;
  mediaType: "application/pdf" | "image/jpeg" | "image/png";
  size: number;
  sha512: string;
}
