/* Generated from schema.json by json-schema-to-typescript (npm run gen:types). Do not edit. */

export type Vorname = string;
export type Familienname = string;
export type Geburtsdatum = string;
export type Staatsangehorigkeit = string;
export type EMailAdresse = string;
export type Betrieb = {
  name: NameDesBetriebs;
  rechtsform: Rechtsform;
  anzeigegrund: GrundDerAnmeldung;
  registergericht?: Registergericht;
  registernummer?: Handelsregisternummer;
  telefon?: Telefonnummer;
  anschrift: AnschriftDerBetriebsstatte;
};
export type NameDesBetriebs = string;
export type Rechtsform =
  | Einzelunternehmen
  | GesellschaftBurgerlichenRechtsGbR
  | GesellschaftMitBeschrankterHaftungGmbH
  | UnternehmergesellschaftHaftungsbeschrankt
  | OffeneHandelsgesellschaftOHG
  | KommanditgesellschaftKG;
export type Einzelunternehmen = "einzelunternehmen";
export type GesellschaftBurgerlichenRechtsGbR = "gbr";
export type GesellschaftMitBeschrankterHaftungGmbH = "gmbh";
export type UnternehmergesellschaftHaftungsbeschrankt = "ug";
export type OffeneHandelsgesellschaftOHG = "ohg";
export type KommanditgesellschaftKG = "kg";
export type GrundDerAnmeldung =
  NeuerrichtungEinesBetriebs | UbernahmeEinesBestehendenBetriebs | ZuzugAusEinemAnderenMeldebezirk;
export type NeuerrichtungEinesBetriebs = "neuerrichtung";
export type UbernahmeEinesBestehendenBetriebs = "uebernahme";
export type ZuzugAusEinemAnderenMeldebezirk = "zuzug";
export type Registergericht = string;
export type Handelsregisternummer = string;
export type Telefonnummer = string;
export type Strasse = string;
export type Hausnummer = string;
export type Postleitzahl = string;
export type Ort = string;
export type GemeindeAmtlicherRegionalschlussel = string;
export type AngemeldeteTatigkeit = string;
export type Wirtschaftszweig = string;
export type ArtDesBetriebs = Industrie | Handwerk | Handel | Sonstiges;
export type Industrie = "industrie";
export type Handwerk = "handwerk";
export type Handel = "handel";
export type Sonstiges = "sonstiges";
export type BeginnDerTatigkeit = string;
export type NameDesUbernommenenBetriebs = string;
export type WirdDieTatigkeitImNebenerwerbAusgeubt = boolean;
export type ZahlDerBeschaftigten = number;

/**
 * Anzeige nach § 14 GewO (Beginn eines stehenden Gewerbes).
 */
export interface Gewerbeanmeldung {
  inhaber: InhaberinOderInhaber;
  betrieb: Betrieb;
  taetigkeit: Tatigkeit;
}
export interface InhaberinOderInhaber {
  vorname: Vorname;
  familienname: Familienname;
  geburtsdatum: Geburtsdatum;
  staatsangehoerigkeit: Staatsangehorigkeit;
  email?: EMailAdresse;
}
export interface AnschriftDerBetriebsstatte {
  strasse: Strasse;
  hausnummer: Hausnummer;
  plz: Postleitzahl;
  ort: Ort;
  ars: GemeindeAmtlicherRegionalschlussel;
}
export interface Tatigkeit {
  beschreibung: AngemeldeteTatigkeit;
  wirtschaftszweig: Wirtschaftszweig;
  betriebsart: ArtDesBetriebs;
  beginn: BeginnDerTatigkeit;
  vorbetrieb?: NameDesUbernommenenBetriebs;
  nebenerwerb: WirdDieTatigkeitImNebenerwerbAusgeubt;
  beschaeftigte?: ZahlDerBeschaftigten;
}
