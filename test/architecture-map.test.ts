import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * docs/architecture.md is the newcomer's map of src/: every top-level part with what it may import.
 * These tests keep it true: a new part must be listed, and an import the map does not allow fails
 * here with the file and the line, as does any import cycle (type-only imports included, which the
 * lint rule import-x/no-cycle leaves out).
 */
const MAP = 'docs/architecture.md';

interface Rule { part: string; mayImport: Set<string> }
interface Edge { from: string; to: string; line: number; dynamic: boolean }

/** The map's table rows: `| \`src/<part>\` | what it is | may import: \`part\`, \`part/module\` … |`. */
function readMap(): Map<string, Rule> {
  const rules = new Map<string, Rule>();
  for (const line of readFileSync(MAP, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const part = /^`src\/([^`/]+)\/?`$/.exec(cells[1] ?? '')?.[1];
    if (!part || cells.length < 5) continue;
    const mayImport = new Set([...(cells[3] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
    rules.set(part, { part, mayImport });
  }
  return rules;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every relative import of a file: static, re-exports, dynamic import() and import types. */
function importsOf(file: string): Edge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (spec: ts.Node | undefined, dynamic: boolean): void => {
    if (!spec || !ts.isStringLiteralLike(spec) || !spec.text.startsWith('.')) return;
    const to = normalize(join(dirname(file), spec.text)).replace(/\.js$/, '.ts');
    edges.push({ from: file, to, line: source.getLineAndCharacterOfPosition(spec.getStart()).line + 1, dynamic });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier, false);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], true);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, false);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** The top-level part of a path under src/ ("routing" for src/routing/store.ts, "runtime.ts" for src/runtime.ts). */
const partOf = (path: string): string => relative('src', path).split(sep)[0] as string;
/** `part/module` for a file directly in a part folder, e.g. "transports/registry". */
const moduleOf = (path: string): string => relative('src', path).split(sep).join('/').replace(/\.ts$/, '');

describe('docs/architecture.md, the map of src/', () => {
  const rules = readMap();
  const edges = sourceFiles('src').flatMap(importsOf);

  test('lists every top-level folder and file under src/', () => {
    // A folder left empty by a move (git does not track folders) is no part.
    const parts = readdirSync('src').filter((name) => !statSync(join('src', name)).isDirectory() || readdirSync(join('src', name)).length > 0);
    const missing = parts.filter((name) => !rules.has(name));
    assert.deepEqual(missing, [], `add a row for each to ${MAP}`);
    const stale = [...rules.keys()].filter((part) => !parts.includes(part));
    assert.deepEqual(stale, [], `${MAP} lists parts that no longer exist`);
  });

  test('every import between parts is one the map allows', () => {
    const refused: string[] = [];
    for (const edge of edges) {
      const from = partOf(edge.from);
      const to = partOf(edge.to);
      if (from === to) continue;
      const allowed = rules.get(from)?.mayImport ?? new Set<string>();
      const ok = allowed.has(to) || allowed.has(moduleOf(edge.to));
      // src/demo/ is never imported statically by production code: the image leaves it out.
      const demoRule = to !== 'demo' || edge.dynamic;
      if (!ok || !demoRule) refused.push(`${edge.from}:${edge.line} imports ${relative('src', edge.to)} (${from} may import: ${[...allowed].join(', ') || 'nothing'})`);
    }
    assert.deepEqual(refused, [], `imports the map in ${MAP} does not allow`);
  });

  test('src/ has no import cycle, type-only imports included', () => {
    const graph = new Map<string, string[]>();
    for (const edge of edges) graph.set(edge.from, [...(graph.get(edge.from) ?? []), edge.to]);
    // Tarjan's strongly connected components: a component of more than one file is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    const connect = (v: string): void => {
      index.set(v, index.size);
      low.set(v, index.get(v) as number);
      stack.push(v);
      for (const w of graph.get(v) ?? []) {
        if (!index.has(w)) {
          connect(w);
          low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
        } else if (stack.includes(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
      if (low.get(v) !== index.get(v)) return;
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) cycles.push(component.sort());
    };
    for (const file of graph.keys()) if (!index.has(file)) connect(file);
    assert.deepEqual(cycles, []);
  });
});
