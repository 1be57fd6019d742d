/** The texts of the figures page (./figures.ts), German and English. */
import type { Lang } from '../../forms/text.js';

const de = {
  title: 'Nutzungszahlen',
  intro: 'Wie oft unsere Online-Anträge begonnen und abgesendet werden, wie lange das dauert, wo Anträge abgebrochen werden und wie zufrieden die Antragstellenden sind. Die Zahlen sind anonym: Wir zählen nur, je Monat, Land und Leistung, und speichern dafür keine Angaben zu einzelnen Personen.',
  suppressedNote: 'Zahlen von 1 bis {k} minus 1 zeigen wir als „<{k}“, damit niemand anhand kleiner Zahlen erkannt werden kann. Damit sich eine verborgene Zahl nicht aus der Summe und den übrigen Zahlen ausrechnen lässt, verbergen wir dann auch eine weitere Zahl derselben Aufschlüsselung. Der laufende Monat erscheint erst nach seinem Ende.',
  download: 'Die Zahlen als Datei',
  json: 'JSON', csv: 'CSV (Tabelle)',
  none: 'Für diesen Zeitraum liegen noch keine Zahlen vor.',
  chartTitle: 'Begonnene und abgesendete Anträge je Monat: {service}',
  chartDesc: 'Balkendiagramm; dieselben Zahlen stehen in der Tabelle darunter.',
  tableCaption: 'Zahlen je Monat',
  month: 'Monat', started: 'Begonnen', submitted: 'Abgesendet', median: 'Dauer bis zum Absenden (Median)', abandoned: 'Abgebrochen', abandonedByStep: 'Abgebrochen nach Schritt',
  paid: 'Bezahlt', paymentShare: 'Anteil bezahlt', survey: 'Bewertungen', surveyByScore: 'Zufriedenheit',
  suppressed: '<{k}', minutesRange: '{from} bis {to} Minuten', minutesOver: 'über {from} Minuten',
  beforeFirstStep: 'vor der ersten Angabe', checkPage: 'Angaben prüfen',
  scores: { 5: 'sehr zufrieden', 4: 'zufrieden', 3: 'teils, teils', 2: 'unzufrieden', 1: 'sehr unzufrieden' } as Record<string, string>,
};

export type FigureTexts = typeof de;

const en: FigureTexts = {
  title: 'Usage figures',
  intro: 'How often our online applications are started and submitted, how long that takes, where applications are abandoned and how satisfied applicants are. The figures are anonymous: we only count, per month, Land and service, and store nothing about individual persons for it.',
  suppressedNote: 'Counts from 1 to {k} minus 1 are shown as “<{k}”, so that nobody can be recognised by a small count. So that a hidden count cannot be worked out from the total and the other counts, we then also hide another count of the same breakdown. The current month appears once it has ended.',
  download: 'The figures as a file',
  json: 'JSON', csv: 'CSV (spreadsheet)',
  none: 'There are no figures for this period yet.',
  chartTitle: 'Applications started and submitted per month: {service}',
  chartDesc: 'Bar chart; the table below holds the same figures.',
  tableCaption: 'Figures per month',
  month: 'Month', started: 'Started', submitted: 'Submitted', median: 'Time to submit (median)', abandoned: 'Abandoned', abandonedByStep: 'Abandoned at step',
  paid: 'Paid', paymentShare: 'Share paid', survey: 'Ratings', surveyByScore: 'Satisfaction',
  suppressed: '<{k}', minutesRange: '{from} to {to} minutes', minutesOver: 'over {from} minutes',
  beforeFirstStep: 'before the first answer', checkPage: 'Check your answers',
  scores: { 5: 'very satisfied', 4: 'satisfied', 3: 'neither', 2: 'dissatisfied', 1: 'very dissatisfied' },
};

export const FIGURE_TEXTS: Record<Lang, FigureTexts> = { de, en };
