/** XDatenfelder 2: the Stammdatenschema message (its schema is the root) and the Datenfeldgruppe message (its group is). */
import { rootReader } from './reader.js';

export const stammdatenschemaV2 = rootReader('2', 'xdatenfelder.stammdatenschema.0102', 'stammdatenschema');
export const datenfeldgruppeV2 = rootReader('2', 'xdatenfelder.datenfeldgruppe.0103', 'datenfeldgruppe');
