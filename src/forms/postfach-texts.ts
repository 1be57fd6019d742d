/**
 * The texts of the Postfach and the status history (docs/postfach.md), spread into the UI texts
 * (./ui-texts.ts), so a tenant overrides them as `ui.<key>` like every other.
 */
export const postfachDe = {
  postfachTitle: 'Postfach', postfachIntro: 'Hier lesen Sie die Nachrichten der zuständigen Stelle zu Ihrem Antrag und laden ihre Anlagen herunter. Nur wer Ihren persönlichen Link zum Bearbeitungsstand hat, sieht sie.',
  postfachOpen: 'Postfach öffnen', postfachCount: 'Nachrichten der zuständigen Stelle: {n}', postfachEmpty: 'Die zuständige Stelle hat Ihnen noch keine Nachricht geschickt.',
  postfachMessage: 'Nachricht vom {date}', postfachAttachments: 'Anlagen', postfachNewStatus: 'Neuer Stand', postfachBytes: 'Byte',
  postfachPurged: 'Der Inhalt dieser Nachricht wurde nach Ablauf der Aufbewahrungsfrist gelöscht.',
  postfachMailHint: 'Haben Sie im Antrag eine E-Mail-Adresse angegeben, benachrichtigen wir Sie dort, sobald eine neue Nachricht vorliegt. Die E-Mail enthält nur diesen Hinweis, weder die Nachricht noch den Link zu dieser Seite.',
  backToStatus: 'Zurück zum Bearbeitungsstand',
  historyTitle: 'Verlauf', historyDate: 'Datum', historyStatus: 'Stand',
  zbpINITIATED: 'Begonnen', zbpSUBMITTED: 'Abgesendet', zbpRECEIVED: 'Bei der zuständigen Stelle eingegangen', zbpPROCESSING: 'In Bearbeitung',
  zbpACTION_REQUIRED: 'Ihre Mitwirkung ist erforderlich', zbpCOMPLETED: 'Abgeschlossen',
  replyTitle: 'Unterlagen nachreichen', replyIntro: 'Die zuständige Stelle bittet Sie um etwas. Laden Sie das fehlende Dokument hier hoch: Es geht verschlüsselt als Teil desselben Vorgangs an die zuständige Stelle.',
  replyMessage: 'Ihre Nachricht an die zuständige Stelle (optional)', replyFile: 'Dokument', replyFileHint: 'PDF, JPEG oder PNG, höchstens 10 MB.', replySubmit: 'Dokument nachreichen',
  replySent: 'Ihr Dokument ist eingegangen und wird an die zuständige Stelle übermittelt.', repliesTitle: 'Von Ihnen nachgereicht', replySentAt: 'Nachgereicht am {date}',
  replyErrorFile: 'Wählen Sie ein Dokument aus: PDF, JPEG oder PNG, höchstens 10 MB.', replyErrorMessage: 'Ihre Nachricht darf höchstens 2.000 Zeichen lang sein.',
  replyErrorQuota: 'Ihr Dokument wurde nicht gespeichert: Von Ihrem Anschluss wurden in kurzer Zeit zu viele Dateien hochgeladen, oder der Speicher ist gerade voll. Versuchen Sie es später erneut.',
  overviewLink: 'Mit Ihrem Nutzerkonto anmelden und Ihre Anträge und Nachrichten sehen', overviewTitle: 'Mein Postfach', overviewIntro: 'Hier sehen Sie die Anträge, die Sie mit Ihrem Nutzerkonto in diesem Land gestellt haben, und die Nachrichten der zuständigen Stellen dazu. Anträge ohne Anmeldung öffnen Sie über Ihren persönlichen Link zum Bearbeitungsstand.',
  overviewEmpty: 'Mit Ihrem Nutzerkonto wurde hier noch kein Antrag gestellt.', overviewCaption: 'Ihre Anträge, der neueste zuerst',
  overviewReference: 'Aktenzeichen', overviewService: 'Leistung', overviewSubmitted: 'Abgesendet am', overviewStatus: 'Stand', overviewMessages: 'Nachrichten: {n}', overviewUnread: '{n} neu',
  overviewMessagesHead: 'Nachrichten', overviewLogout: 'Abmelden', overviewHome: 'Zur Startseite',
  overviewHigherLevel: 'Weitere Anträge ({n}) haben Sie mit einem höheren Vertrauensniveau gestellt, als Ihre Anmeldung hier hat. Um sie zu sehen, melden Sie sich ab und wieder an, zum Beispiel mit dem Online-Ausweis.',
};

export type PostfachTexts = typeof postfachDe;

export const postfachEn: PostfachTexts = {
  postfachTitle: 'Inbox', postfachIntro: 'Read the messages of the responsible office about your application here and download their attachments. Only whoever has your personal status link sees them.',
  postfachOpen: 'Open inbox', postfachCount: 'Messages from the responsible office: {n}', postfachEmpty: 'The responsible office has not sent you a message yet.',
  postfachMessage: 'Message of {date}', postfachAttachments: 'Attachments', postfachNewStatus: 'New status', postfachBytes: 'bytes',
  postfachPurged: 'The content of this message was deleted when the retention period ended.',
  postfachMailHint: 'If you gave an e-mail address in your application, we tell you there when a new message arrives. The e-mail holds only this notice, neither the message nor the link to this page.',
  backToStatus: 'Back to the application status',
  historyTitle: 'History', historyDate: 'Date', historyStatus: 'Status',
  zbpINITIATED: 'Started', zbpSUBMITTED: 'Submitted', zbpRECEIVED: 'Received by the responsible office', zbpPROCESSING: 'Being processed',
  zbpACTION_REQUIRED: 'Your action is needed', zbpCOMPLETED: 'Completed',
  replyTitle: 'Send documents', replyIntro: 'The responsible office asks you for something. Upload the missing document here: it goes, encrypted, to the responsible office as part of the same case.',
  replyMessage: 'Your message to the responsible office (optional)', replyFile: 'Document', replyFileHint: 'PDF, JPEG or PNG, at most 10 MB.', replySubmit: 'Send document',
  replySent: 'Your document was received and is being sent to the responsible office.', repliesTitle: 'Sent by you', replySentAt: 'Sent on {date}',
  replyErrorFile: 'Choose a document: PDF, JPEG or PNG, at most 10 MB.', replyErrorMessage: 'Your message may be at most 2,000 characters long.',
  replyErrorQuota: 'Your document was not stored: too many files were uploaded from your connection in a short time, or the storage is full just now. Try again later.',
  overviewLink: 'Log in with your user account to see your applications and messages', overviewTitle: 'My inbox', overviewIntro: 'Here are the applications you submitted with your user account in this Land, and the messages of the responsible offices about them. Applications made without a login open through your personal status link.',
  overviewEmpty: 'No application has been submitted here with your user account yet.', overviewCaption: 'Your applications, newest first',
  overviewReference: 'Reference number', overviewService: 'Service', overviewSubmitted: 'Submitted on', overviewStatus: 'Status', overviewMessages: 'Messages: {n}', overviewUnread: '{n} new',
  overviewMessagesHead: 'Messages', overviewLogout: 'Log out', overviewHome: 'To the home page',
  overviewHigherLevel: 'You submitted more applications ({n}) at a higher level of assurance than your login here has. To see them, log out and log in again, for example with the online ID card.',
};
