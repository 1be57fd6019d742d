/** XDatenfelder 3: the Datenfeldgruppe message (xdatenfelder.datenfeldgruppe.0103); its group is the root. */
import { rootReader } from './reader.js';

export const datenfeldgruppeV3 = rootReader('3', 'xdatenfelder.datenfeldgruppe.0103', 'datenfeldgruppe');
