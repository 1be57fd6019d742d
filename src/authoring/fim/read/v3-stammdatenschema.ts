/** XDatenfelder 3: the Stammdatenschema message (xdatenfelder.stammdatenschema.0102); the schema is the root. */
import { rootReader } from './reader.js';

export const stammdatenschemaV3 = rootReader('3', 'xdatenfelder.stammdatenschema.0102', 'stammdatenschema');
