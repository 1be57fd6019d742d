/** XDatenfelder 3: the Datenfeldgruppe message (xdatenfelder.datenfeldgruppe.0103); its root group is the schema's root. */
import { DataGroupMessage3 } from 'xdatenfelder-xml/dist/index.js';
import type { FimTree } from '../tree.js';
import { blank, type FimReader } from './reader.js';
import { elementV3, rulesV3 } from './v3-elements.js';

export const datenfeldgruppeV3: FimReader = {
  version: '3',
  message: 'xdatenfelder.datenfeldgruppe.0103',
  read: (xml) => treeV3Group(DataGroupMessage3.fromString(xml)),
};

function treeV3Group(msg: DataGroupMessage3): FimTree {
  const root = msg.dataGroups.get(msg.rootDataGroup);
  return {
    source: { xdatenfelder: '3', message: 'xdatenfelder.datenfeldgruppe.0103', id: root.id, version: root.version, name: root.name },
    label: blank(root.inputLabel) ?? root.name, description: blank(root.description), hint: blank(root.inputHelp),
    rules: rulesV3(msg, root.rules), children: root.children.map((c) => elementV3(msg, c.type, c.identifier, c.cardinality, new Set([msg.rootDataGroup]))),
  };
}
