import { address } from './address.js';
import { checkbox } from './checkbox.js';
import { checkboxes } from './checkboxes.js';
import { radios, select, yesno } from './choice.js';
import { date } from './date.js';
import { decimal } from './decimal.js';
import { group } from './group.js';
import { file } from './file.js';
import type { FieldKind } from './kind.js';
import { money } from './money.js';
import { email, iban, integer, plate, tel, text, textarea } from './text.js';

/** The one registry of field kinds; a form names them in "kind". */
export const fieldKinds: ReadonlyMap<string, FieldKind> = new Map([text, textarea, email, tel, plate, iban, integer, decimal, money, date, radios, select, yesno, checkbox, checkboxes, address, group, file].map((k) => [k.name, k]));
