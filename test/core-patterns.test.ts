import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { newAjv } from '../src/core/declarations.js';
import { DeclarationError } from '../src/core/errors.js';
import { PATTERN_INPUT_LIMIT, patternEngine, translateXsdPattern } from '../src/core/patterns.js';
import { loadServices } from '../src/services/registry.js';
import { FORMATS_DIR } from '../src/runtime.js';
import { copyDeclarations } from './support/declarations.js';

/** The RE2 pattern of an XSD one, or a failure naming why there is none. */
function xsd(pattern: string): { test(input: string): boolean } {
  const t = translateXsdPattern(pattern);
  assert.ok('pattern' in t, `"${pattern}" translated: ${'problem' in t ? t.problem : ''}`);
  return patternEngine(t.pattern, 'u');
}

describe('patterns: checked at load, matched in linear time', () => {
  test('a nested-quantifier pattern on 50,000 characters gives its answer (RE2 does not backtrack)', () => {
    const validate = newAjv().compile({ type: 'string', pattern: '^(a+)+$' });
    assert.equal(validate('a'.repeat(50_000)), true);
    // The input that makes a backtracking engine try 2^50000 ways: with RE2 an ordinary "no".
    assert.equal(validate(`${'a'.repeat(50_000)}b`), false);
    assert.equal(validate.errors?.[0]?.keyword, 'pattern');
  });

  test('input over the length cap never matches, whatever the pattern', () => {
    const validate = newAjv().compile({ type: 'string', pattern: '^a+$' });
    assert.equal(validate('a'.repeat(PATTERN_INPUT_LIMIT)), true);
    assert.equal(validate('a'.repeat(PATTERN_INPUT_LIMIT + 1)), false);
  });

  test('each pattern keeps its own matcher (Ajv caches compiled patterns by their text)', () => {
    const validate = newAjv().compile({ type: 'object', properties: { a: { type: 'string', pattern: '^[0-9]+$' }, b: { type: 'string', pattern: '^[a-z]+$' } } });
    assert.equal(validate({ a: '12', b: 'ab' }), true);
    assert.equal(validate({ a: 'ab', b: '12' }), false);
  });

  test('the precompiled (standalone) validators of the build use the same engine', () => {
    const ajv = new Ajv2020({ strict: false, code: { source: true, regExp: patternEngine } });
    const schema = { type: 'string', pattern: '^(a+)+$' };
    const dir = mkdtempSync(join(process.cwd(), '.tmp-patterns-'));
    try {
      // Written inside the project so that require("re2js") resolves as it does for dist/validators.
      const file = join(dir, 'v.cjs');
      const standalone = (createRequire(import.meta.url)('ajv/dist/standalone') as { default: (a: Ajv2020, v: ValidateFunction) => string }).default;
      writeFileSync(file, standalone(ajv, ajv.compile(schema)));
      const validate = createRequire(import.meta.url)(file) as ValidateFunction;
      assert.equal(validate('a'.repeat(50_000)), true);
      assert.equal(validate(`${'a'.repeat(50_000)}b`), false);
      assert.equal(validate('a'.repeat(PATTERN_INPUT_LIMIT + 1)), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a declared pattern RE2 cannot run, or XSD-only syntax, stops loading with file, pointer and field named', async () => {
    const root = mkdtempSync(join(tmpdir(), 'efa-patterns-'));
    try {
      copyDeclarations(root);
      const id = readdirSync(join(root, 'services')).sort()[0] as string;
      const file = join(root, 'services', id, 'schema.json');
      const original = readFileSync(file, 'utf8');
      for (const [pattern, why] of [['^(?=[A-Z])[A-Za-z]+$', /linear time/], ['^(a)\\1$', /linear time/], ['^[a-z-[aeiou]]+$', /class subtraction/], ['^\\p{IsBasicLatin}+$', /block escape/]] as const) {
        const schema = JSON.parse(original) as { properties: Record<string, unknown> };
        schema.properties.kennung = { title: 'Kennung', type: 'string', pattern };
        writeFileSync(file, JSON.stringify(schema));
        await assert.rejects(loadServices(root, FORMATS_DIR), (err: unknown) => {
          assert.ok(err instanceof DeclarationError, String(err));
          assert.equal(err.code, 'EFA_PATTERN_UNSUPPORTED');
          assert.match(err.file, new RegExp(`services/${id}/schema\\.json$`));
          assert.equal(err.path, '/properties/kennung/pattern');
          assert.match(err.message, /field kennung \(Kennung\)/);
          assert.match(err.message, why);
          return true;
        });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('XSD patterns: anchored, and XSD-only escapes translated to what XML Schema means', () => {
    assert.ok(!xsd('[0-9]{5}').test('x12345'), 'implicitly anchored');
    const name = xsd('\\i\\c*');
    assert.ok(name.test('_a1.b-c') && name.test('Äbc') && !name.test('1a') && !name.test('a b'));
    const latin = xsd('\\p{IsBasicLatin}+');
    assert.ok(latin.test('Hallo 123') && !latin.test('Grüße'));
    assert.ok(xsd('[\\p{IsBasicLatin}\\p{IsLatin-1Supplement}]+').test('Grüße') && !xsd('[\\p{IsBasicLatin}]+').test('Ł'));
    assert.ok(!xsd('\\P{IsBasicLatin}').test('a') && xsd('\\P{IsBasicLatin}').test('ä'));
    assert.ok(xsd('\\d+').test('١٢٣'), 'XSD \\d is every decimal digit, not only ASCII');
    assert.ok(xsd('\\w+').test('Straße') && !xsd('\\w+').test('a-b'), 'XSD \\w: letters, marks, numbers, symbols');
    assert.ok(xsd('[\\w-]+').test('a-ß'));
    assert.ok(!xsd('a.b').test('a\rb') && xsd('a.b').test('a b'), '. excludes \\r as well as \\n');
    assert.ok(xsd('a$b').test('a$b'), '$ inside is a literal in XSD');
    const anchoredByHabit = translateXsdPattern('^[0-9]{5}$');
    assert.ok('pattern' in anchoredByHabit && patternEngine(anchoredByHabit.pattern, 'u').test('24103') && anchoredByHabit.notes.length === 1);
  });

  test('XSD constructs without a faithful translation are refused by name', () => {
    for (const [pattern, why] of [['[a-z-[aeiou]]', /subtraction/], ['\\p{IsOldItalic}', /block IsOldItalic/], ['[\\S]', /\\S inside a character class/], ['[a-', /./]] as const) {
      const t = translateXsdPattern(pattern);
      assert.ok('problem' in t, pattern);
      assert.match(t.problem, why);
    }
  });
});
