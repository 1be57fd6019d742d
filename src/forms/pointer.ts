/** JSON Pointer (RFC 6901) helpers over plain JSON objects. */
export function segments(pointer: string): string[] {
  // Read for every answer of every row on the check page: unescape only where there is an escape.
  const tokens = pointer.split('/').slice(1);
  return pointer.includes('~') ? tokens.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')) : tokens;
}

export function getAt(data: unknown, pointer: string): unknown {
  let node: unknown = data;
  for (const key of segments(pointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Sets a value, creating parent objects; `undefined` removes the key and then empty parents. */
export function setAt(data: Record<string, unknown>, pointer: string, value: unknown): void {
  const keys = segments(pointer);
  const last = keys.pop() as string;
  const parents: Array<Record<string, unknown>> = [data];
  let node = data;
  for (const key of keys) {
    const next = node[key];
    if (next === null || typeof next !== 'object') {
      if (value === undefined) return;
      node[key] = {};
    }
    node = node[key] as Record<string, unknown>;
    parents.push(node);
  }
  if (value === undefined) {
    delete node[last];
    for (let i = parents.length - 1; i > 0; i--) {
      // A row left empty stays a row: deleting it from its array would leave a hole.
      if (Object.keys(parents[i] as object).length > 0 || Array.isArray(parents[i - 1])) break;
      delete (parents[i - 1] as Record<string, unknown>)[keys[i - 1] as string];
    }
  } else {
    node[last] = value;
  }
}

/** The subschema a pointer into the data addresses (follows properties, array items by index, and local $refs). */
export function schemaAt(root: Record<string, unknown>, pointer: string): Record<string, unknown> | undefined {
  let node: Record<string, unknown> | undefined = root;
  for (const key of segments(pointer)) {
    node = deref(root, node);
    const items = node?.items;
    if (/^(0|[1-9][0-9]*)$/.test(key) && items !== null && typeof items === 'object' && !Array.isArray(items)) {
      node = items as Record<string, unknown>;
      continue;
    }
    const props = node?.properties as Record<string, Record<string, unknown>> | undefined;
    node = props?.[key];
    if (!node) return undefined;
  }
  return node ? { ...deref(root, node), ...withoutRef(node) } : undefined;
}

/** A subschema with its local $ref followed (e.g. an array's items). */
export function resolveRef(root: Record<string, unknown>, node: Record<string, unknown>): Record<string, unknown> {
  return { ...deref(root, node), ...withoutRef(node) };
}

function withoutRef(node: Record<string, unknown>): Record<string, unknown> {
  const { $ref: _ref, ...rest } = node;
  return rest;
}

function deref(root: Record<string, unknown>, node: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const ref = node?.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return node;
  return deref(root, getAt(root, ref.slice(1)) as Record<string, unknown> | undefined);
}

export function isRequired(root: Record<string, unknown>, pointer: string): boolean {
  const keys = segments(pointer);
  const last = keys.pop() as string;
  const parent = keys.length === 0 ? root : schemaAt(root, `/${keys.join('/')}`);
  return Array.isArray(parent?.required) && (parent.required as string[]).includes(last);
}

/**
 * Like schemaAt, but a numeric segment steps into an array's items ("/hunde/2/nachweis"): the
 * schema of a value inside a repeatable group's row.
 */
export function schemaThroughArrays(root: Record<string, unknown>, pointer: string): Record<string, unknown> | undefined {
  let node: Record<string, unknown> | undefined = root;
  for (const key of segments(pointer)) {
    node = deref(root, node);
    if (!node) return undefined;
    if (node.type === 'array' && /^[0-9]+$/.test(key)) node = node.items as Record<string, unknown> | undefined;
    else node = (node.properties as Record<string, Record<string, unknown>> | undefined)?.[key];
  }
  if (!node) return undefined;
  const resolved = resolveRef(root, node);
  const items = resolved.items as Record<string, unknown> | undefined;
  return items && typeof items === 'object' ? { ...resolved, items: resolveRef(root, items) } : resolved;
}
