import type { Lang } from './text.js';

/**
 * Every UI string of the applicant pages, per language. German is the reference. A tenant overrides
 * any of them as `ui.<key>` in its `texts` (src/tenants/texts.ts), so the keys are a public contract:
 * rename one only together with docs/tenants.md and the tenant files.
 */
const de = {
  skipLink: 'Zum Inhalt springen', language: 'Sprache', imprint: 'Impressum', privacy: 'Datenschutz', accessibility: 'Barrierefreiheit', contact: 'Kontakt',
  errorPrefix: 'Fehler', errorSummaryTitle: 'Bitte korrigieren Sie folgende Angaben', optional: '(optional)', day: 'Tag', month: 'Monat', year: 'Jahr', choose: 'Bitte auswählen',
  municipality: 'Gemeinde', homeIntro: 'Diese Leistungen können Sie hier online beantragen.', fee: 'Gebühr', start: 'Antrag starten', resume: 'Antrag fortsetzen',
  a11yStatusTitle: 'Stand der Vereinbarkeit mit den Anforderungen', a11yStatusFull: 'Dieses Angebot ist mit den Anforderungen der BITV 2.0 vollständig vereinbar.', a11yStatusPartial: 'Dieses Angebot ist mit den Anforderungen der BITV 2.0 teilweise vereinbar. Die unten aufgeführten Inhalte sind nicht barrierefrei.', a11yStatusNone: 'Dieses Angebot ist mit den Anforderungen der BITV 2.0 nicht vereinbar. Die unten aufgeführten Inhalte sind nicht barrierefrei.',
  a11yBarriersTitle: 'Nicht barrierefreie Inhalte', a11yPreparedTitle: 'Erstellung dieser Erklärung', a11yPreparedOn: 'Diese Erklärung wurde erstellt oder zuletzt überprüft am', a11yFeedbackTitle: 'Barrieren melden: Feedback und Kontakt', a11yEnforcementTitle: 'Schlichtungsverfahren',
  backToForm: 'Zurück zum Formular',   feeFrom: 'ab', feeFromHint: 'Die genaue Gebühr hängt von Ihren Angaben ab. Sie sehen sie auf der Seite „Angaben prüfen“, bevor Sie absenden.',
  resumeText: 'Sie haben einen angefangenen Antrag. Ihre bisherigen Angaben sind gespeichert.', startOver: 'Neu beginnen (bisherige Angaben verwerfen)',
  back: 'Zurück', step: 'Schritt', of: 'von', continue: 'Weiter', checkTitle: 'Angaben prüfen', notAnswered: 'Nicht angegeben', change: 'Ändern',
  feeAndAuthority: 'Gebühr und zuständige Stelle', factsAndAuthority: 'Ergebnis und zuständige Stelle', authority: 'Zuständige Stelle', declarationTitle: 'Antrag absenden',
  declaration: 'Mit dem Absenden bestätigen Sie, dass Ihre Angaben richtig und vollständig sind. Der Antrag wird verschlüsselt an die zuständige Stelle übermittelt.',
  submit: 'Verbindlich absenden', confirmationTitle: 'Ihr Antrag ist eingegangen', referenceLabel: 'Ihr Aktenzeichen', receipt: 'Eingangsbestätigung', service: 'Leistung',
  submittedAt: 'Eingegangen am', whatNext: 'Die zuständige Stelle bearbeitet Ihren Antrag und meldet sich bei Ihnen. Notieren Sie sich Ihr Aktenzeichen.',
  statusLink: 'Bearbeitungsstand ansehen', statusLinkHint: 'Speichern Sie sich diesen Link; er ist nur für Sie bestimmt.', statusTitle: 'Bearbeitungsstand', status: 'Stand',
  contactEmail: 'E-Mail', contactPhone: 'Telefon', toHome: 'Zur Startseite',
  notFoundTitle: 'Seite nicht gefunden', notFound: 'Die Seite gibt es nicht oder nicht mehr. Prüfen Sie die Adresse.',
  expiredTitle: 'Ihre Sitzung ist abgelaufen', expired: 'Wir haben keinen angefangenen Antrag gefunden. Bitte beginnen Sie neu.',
  csrfTitle: 'Das Formular ist veraltet', csrf: 'Bitte laden Sie die Seite neu und senden Sie das Formular erneut.',
  errorTitle: 'Es ist ein Fehler aufgetreten', error: 'Bitte versuchen Sie es später erneut. Ihre Angaben sind gespeichert.',
  tooManyTitle: 'Zu viele Anfragen', tooMany: 'Bitte warten Sie einen Moment und versuchen Sie es dann erneut.',
  noAuthority: 'Für die angegebene Gemeinde ist für diese Leistung noch keine zuständige Stelle angebunden. Ihr Antrag kann deshalb nicht online abgesendet werden; Ihre Angaben bleiben gespeichert. Bitte wenden Sie sich direkt an Ihre Gemeinde.',
  statusSubmitted: 'Eingegangen, wird zugestellt', statusDelivered: 'Zugestellt und von der Stelle bestätigt', statusFailed: 'Zustellung fehlgeschlagen', statusAccepted: 'Von der Stelle angenommen', statusRejected: 'Von der Stelle abgelehnt',
  explainSubmitted: 'Ihr Antrag ist eingegangen und wird gerade verschlüsselt an die zuständige Stelle übermittelt.',
  explainDelivered: 'Die zuständige Stelle hat den Empfang Ihres Antrags bestätigt. Sie meldet sich bei Ihnen.',
  statusHandedOver: 'An die zuständige Stelle übergeben',
  explainHandedOver: 'Ihr Antrag wurde verschlüsselt an die zuständige Stelle übergeben. Eine Empfangsbestätigung der Stelle erhalten wir auf diesem Weg nicht. Sie meldet sich bei Ihnen.',
  explainAwaitingDecision: 'Ihr Antrag wurde verschlüsselt an die zuständige Stelle übergeben. Sobald die Stelle ihn angenommen hat, sehen Sie das hier.',
  explainFailed: 'Ihr Antrag ist sicher gespeichert, konnte der zuständigen Stelle aber trotz wiederholter Versuche nicht zugestellt werden. Der Betrieb dieses Portals ist benachrichtigt und kann die Zustellung erneut anstoßen; einen Zeitpunkt können wir Ihnen nicht nennen. Sie müssen den Antrag nicht erneut stellen. Wenn Ihr Anliegen eilt, wenden Sie sich bitte mit Ihrem Aktenzeichen an die zuständige Stelle.',
  failedContact: 'So erreichen Sie die zuständige Stelle', contactWeb: 'Internet',
  explainAccepted: 'Die zuständige Stelle hat Ihren Antrag angenommen.', explainRejected: 'Die zuständige Stelle hat Ihren Antrag abgelehnt. Sie erhalten eine Nachricht mit den Gründen.',
  statusAwaitingPickup: 'Eingegangen, liegt zum Abruf bereit', explainAwaitingPickup: 'Ihr Antrag ist eingegangen und liegt verschlüsselt bereit, bis die zuständige Stelle ihn abruft.', decidedAt: 'Entschieden am',
  legalImprint: 'Impressum', legalPrivacy: 'Datenschutzerklärung', legalAccessibility: 'Erklärung zur Barrierefreiheit', legalContact: 'Kontakt',
  landNotice: 'Hinweis', previewNotice: 'Vorschau mit Beispieldaten: Hier wird nichts gespeichert oder abgesendet.',
  addRow: 'Weiteren Eintrag hinzufügen', remove: 'Entfernen', noRows: 'Sie haben noch keine Einträge angegeben.',
};

export type UiTexts = typeof de;

const en: UiTexts = {
  skipLink: 'Skip to content', language: 'Language', imprint: 'Imprint', privacy: 'Privacy', accessibility: 'Accessibility', contact: 'Contact',
  errorPrefix: 'Error', errorSummaryTitle: 'Please correct the following', optional: '(optional)', day: 'Day', month: 'Month', year: 'Year', choose: 'Please select',
  municipality: 'Municipality', homeIntro: 'You can apply for these services online here.', fee: 'Fee', start: 'Start application', resume: 'Continue application',
  a11yStatusTitle: 'Compliance status', a11yStatusFull: 'This service fully complies with BITV 2.0.', a11yStatusPartial: 'This service partially complies with BITV 2.0. The content listed below is not accessible.', a11yStatusNone: 'This service does not comply with BITV 2.0. The content listed below is not accessible.',
  a11yBarriersTitle: 'Non-accessible content', a11yPreparedTitle: 'Preparation of this statement', a11yPreparedOn: 'This statement was prepared or last reviewed on', a11yFeedbackTitle: 'Report a barrier: feedback and contact', a11yEnforcementTitle: 'Enforcement procedure',
  backToForm: 'Back to the form',   feeFrom: 'from', feeFromHint: 'The exact fee depends on your answers. You see it on the page “Check your answers” before you submit.',
  resumeText: 'You have an application in progress. Your answers are saved.', startOver: 'Start again (discard answers)',
  back: 'Back', step: 'Step', of: 'of', continue: 'Continue', checkTitle: 'Check your answers', notAnswered: 'Not answered', change: 'Change',
  feeAndAuthority: 'Fee and responsible office', factsAndAuthority: 'Result and responsible office', authority: 'Responsible office', declarationTitle: 'Submit application',
  declaration: 'By submitting you confirm that your answers are correct and complete. The application is sent encrypted to the responsible office.',
  submit: 'Submit', confirmationTitle: 'We have received your application', referenceLabel: 'Your reference number', receipt: 'Receipt', service: 'Service',
  submittedAt: 'Received on', whatNext: 'The responsible office will process your application and contact you. Please note your reference number.',
  statusLink: 'View status', statusLinkHint: 'Save this link; it is meant for you only.', statusTitle: 'Application status', status: 'Status',
  contactEmail: 'Email', contactPhone: 'Phone', toHome: 'Go to start page',
  notFoundTitle: 'Page not found', notFound: 'This page does not exist or no longer exists. Please check the address.',
  expiredTitle: 'Your session has expired', expired: 'We could not find an application in progress. Please start again.',
  csrfTitle: 'This form is out of date', csrf: 'Please reload the page and submit the form again.',
  errorTitle: 'Something went wrong', error: 'Please try again later. Your answers are saved.',
  tooManyTitle: 'Too many requests', tooMany: 'Please wait a moment and try again.',
  noAuthority: 'No responsible office for this service is connected for the municipality you gave. Your application therefore cannot be submitted online; your answers stay saved. Please contact your municipality directly.',
  statusSubmitted: 'Received, being delivered', statusDelivered: 'Delivered and confirmed by the office', statusFailed: 'Delivery failed', statusAccepted: 'Accepted by the office', statusRejected: 'Rejected by the office',
  explainSubmitted: 'Your application was received and is being sent, encrypted, to the responsible office.',
  explainDelivered: 'The responsible office has confirmed that it received your application. It will contact you.',
  statusHandedOver: 'Handed over to the responsible office',
  explainHandedOver: 'Your application was handed over, encrypted, to the responsible office. This way of delivery gives us no confirmation of receipt from the office. It will contact you.',
  explainAwaitingDecision: 'Your application was handed over, encrypted, to the responsible office. Once the office has accepted it, you will see it here.',
  explainFailed: 'Your application is stored safely, but despite repeated attempts it could not be delivered to the responsible office. The operators of this portal have been alerted and can start the delivery again; we cannot tell you when. You do not need to apply again. If your matter is urgent, please contact the responsible office and quote your reference number.',
  failedContact: 'How to reach the responsible office', contactWeb: 'Website',
  explainAccepted: 'The responsible office has accepted your application.', explainRejected: 'The responsible office has rejected your application. You will receive a message with the reasons.',
  statusAwaitingPickup: 'Received, ready for the office to collect', explainAwaitingPickup: 'Your application was received and is kept, encrypted, until the responsible office collects it.', decidedAt: 'Decided on',
  legalImprint: 'Imprint', legalPrivacy: 'Privacy notice', legalAccessibility: 'Accessibility statement', legalContact: 'Contact',
  landNotice: 'Note', previewNotice: 'Preview with sample data: nothing is saved or submitted here.',
  addRow: 'Add another', remove: 'Remove', noRows: 'You have not added any entries yet.',
};

export const uiTexts: Record<Lang, UiTexts> = { de, en };
