import type { Lang } from '../../forms/text.js';

/** The payment pages' and the check page's payment texts, German and English ({amount} is filled in). */
const de = {
  boxTitle: 'Gebühr bezahlen',
  required: 'Sie können den Antrag erst absenden, wenn die Gebühr bezahlt ist. Sie werden dazu auf die Seite unseres Bezahldienstes weitergeleitet und kommen danach hierher zurück. Ihre Angaben bleiben gespeichert.',
  optional: 'Sie können die Gebühr jetzt online bezahlen. Sie können den Antrag auch ohne Zahlung absenden; dann fordert die zuständige Stelle die Gebühr später an.',
  afterDecision: 'Die Gebühr von {amount} bezahlen Sie erst, wenn die zuständige Stelle über Ihren Antrag entschieden hat. Sie erhalten dazu eine Nachricht.',
  payNow: '{amount} jetzt bezahlen',
  paid: 'Die Gebühr von {amount} ist bezahlt.',
  paidReference: 'Transaktionsnummer des Bezahldienstes',
  blocked: 'Bitte bezahlen Sie zuerst die Gebühr. Erst danach können Sie den Antrag absenden.',
  amountChanged: 'Ihre Angaben haben sich nach der Zahlung geändert: Die Gebühr beträgt jetzt {amount}. Bitte bezahlen Sie den neuen Betrag; die frühere Zahlung wird Ihnen erstattet.',
  lastFailed: 'Ihre letzte Zahlung ist fehlgeschlagen. Es wurde nichts abgebucht.',
  lastCanceled: 'Sie haben Ihre letzte Zahlung abgebrochen. Es wurde nichts abgebucht.',
  lastTimeout: 'Ihre letzte Zahlung wurde nicht rechtzeitig abgeschlossen. Es wurde nichts abgebucht.',
  successTitle: 'Zahlung erfolgreich',
  success: 'Vielen Dank, die Gebühr von {amount} ist bezahlt. Ihr Antrag ist noch nicht abgesendet: Prüfen Sie Ihre Angaben und senden Sie ihn ab.',
  failedTitle: 'Zahlung fehlgeschlagen',
  failed: 'Die Zahlung ist nicht gelungen, es wurde nichts abgebucht. Ihre Angaben sind gespeichert. Sie können es erneut versuchen, zum Beispiel mit einer anderen Zahlungsart.',
  canceledTitle: 'Zahlung abgebrochen',
  canceled: 'Sie haben die Zahlung abgebrochen, es wurde nichts abgebucht. Ihre Angaben sind gespeichert. Sie können jederzeit erneut bezahlen.',
  timeoutTitle: 'Zeit für die Zahlung abgelaufen',
  timeout: 'Die Zahlung wurde nicht rechtzeitig abgeschlossen, es wurde nichts abgebucht. Ihre Angaben sind gespeichert. Bitte starten Sie die Zahlung erneut.',
  pendingTitle: 'Zahlung noch nicht abgeschlossen',
  pending: 'Der Bezahldienst meldet noch keinen Abschluss Ihrer Zahlung. Wenn Sie gerade bezahlt haben, prüfen Sie den Stand gleich noch einmal. Ihre Angaben sind gespeichert.',
  checkAgain: 'Stand erneut prüfen',
  mismatchTitle: 'Zahlung nicht anerkannt',
  mismatch: 'Die Angaben des Bezahldienstes stimmen nicht mit Ihrer Zahlung überein (zum Beispiel der Betrag). Wir haben die Zahlung deshalb nicht als bezahlt übernommen. Ihre Angaben sind gespeichert. Bitte wenden Sie sich an den Betrieb dieses Portals, falls etwas abgebucht wurde.',
  unknownTitle: 'Zahlung nicht gefunden',
  unknown: 'Zu dieser Adresse gibt es in Ihrem Antrag keine Zahlung. Öffnen Sie die Seite „Angaben prüfen“, um die Gebühr zu bezahlen.',
  unavailableTitle: 'Bezahlung zurzeit nicht möglich',
  unavailable: 'Der Bezahldienst ist gerade nicht erreichbar. Es wurde nichts abgebucht. Ihre Angaben sind gespeichert; bitte versuchen Sie es später erneut.',
  payAgain: 'Erneut bezahlen',
  toCheck: 'Zurück zu „Angaben prüfen“',
  toCheckAndSubmit: 'Weiter zu „Angaben prüfen“ und absenden',
};

const en: typeof de = {
  boxTitle: 'Pay the fee',
  required: 'You can submit the application only once the fee is paid. You will be taken to our payment service’s page and then back here. Your answers stay saved.',
  optional: 'You can pay the fee online now. You can also submit without paying; the responsible office will then ask you for the fee later.',
  afterDecision: 'You pay the fee of {amount} only once the responsible office has decided on your application. You will receive a message about it.',
  payNow: 'Pay {amount} now',
  paid: 'The fee of {amount} is paid.',
  paidReference: 'Payment service transaction number',
  blocked: 'Please pay the fee first. Only then can you submit the application.',
  amountChanged: 'Your answers changed after you paid: the fee is now {amount}. Please pay the new amount; the earlier payment will be refunded.',
  lastFailed: 'Your last payment failed. Nothing was charged.',
  lastCanceled: 'You cancelled your last payment. Nothing was charged.',
  lastTimeout: 'Your last payment was not completed in time. Nothing was charged.',
  successTitle: 'Payment successful',
  success: 'Thank you, the fee of {amount} is paid. Your application has not been submitted yet: check your answers and submit it.',
  failedTitle: 'Payment failed',
  failed: 'The payment did not go through and nothing was charged. Your answers are saved. You can try again, for example with another payment method.',
  canceledTitle: 'Payment cancelled',
  canceled: 'You cancelled the payment and nothing was charged. Your answers are saved. You can pay again at any time.',
  timeoutTitle: 'Time for the payment ran out',
  timeout: 'The payment was not completed in time and nothing was charged. Your answers are saved. Please start the payment again.',
  pendingTitle: 'Payment not completed yet',
  pending: 'The payment service does not report your payment as completed yet. If you have just paid, check again in a moment. Your answers are saved.',
  checkAgain: 'Check again',
  mismatchTitle: 'Payment not accepted',
  mismatch: 'What the payment service reports does not match your payment (for example the amount). We have therefore not taken it as paid. Your answers are saved. Please contact this portal’s operator if anything was charged.',
  unknownTitle: 'Payment not found',
  unknown: 'Your application has no payment at this address. Open the page “Check your answers” to pay the fee.',
  unavailableTitle: 'Payment not possible at the moment',
  unavailable: 'The payment service cannot be reached right now. Nothing was charged. Your answers are saved; please try again later.',
  payAgain: 'Pay again',
  toCheck: 'Back to “Check your answers”',
  toCheckAndSubmit: 'Continue to “Check your answers” and submit',
};

export type PaymentTexts = typeof de;
export const paymentTexts: Record<Lang, PaymentTexts> = { de, en };

export function fill(text: string, amount: string): string {
  return text.replace('{amount}', amount);
}
