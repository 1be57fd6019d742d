import { RE2JS } from 're2js';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import { DeclarationError } from './errors.js';

/**
 * Every `pattern` in a schema the runtime validates applicant data with is matched by RE2 (the
 * pure-JS port re2js), whose time is linear in the input: a nested quantifier such as `^(a+)+$`
 * cannot block the event loop, as it would with JavaScript's backtracking RegExp. What RE2 cannot
 * do (lookaround, backreferences) is refused when the schema is loaded, never at an applicant's
 * input. FIM imports bring XML Schema patterns; translateXsdPattern turns them into this dialect.
 */

/** Input longer than this never matches a pattern; no form field asks for more in one value. */
export const PATTERN_INPUT_LIMIT = 64 * 1024;

/**
 * A file size named in a text ("höchstens 10 MB"): an upload's page states the schema's limits
 * itself, so a form refuses a file field's hint that repeats one, and the FIM importer leaves such
 * sentences out of the hints it writes.
 */
export const FILE_SIZE_IN_TEXT = /[0-9]\s*(KB|MB|GB)\b/i;

/** A pattern RE2 cannot run, or an XML Schema construct without a faithful translation. */
export class PatternError extends DeclarationError {
  constructor(file: string, pointer: string, problem: string) {
    super(file, pointer, problem, 'EFA_PATTERN_UNSUPPORTED');
  }
}

interface CappedPattern {
  test(input: string): boolean;
  toString(): string;
}

function capped(pattern: string): CappedPattern {
  const re = RE2JS.compile(pattern);
  // toString is Ajv's cache key for a pattern: each pattern needs its own.
  return { test: (input: string) => input.length <= PATTERN_INPUT_LIMIT && re.test(input), toString: () => `re2:${pattern}` };
}

/**
 * Ajv's `code.regExp`. `code` is the same engine as a self-contained expression, for the validators
 * the build precompiles to standalone code (src/core/schema-cache.ts).
 */
export const patternEngine: RegExpEngine = Object.assign((pattern: string) => capped(pattern), {
  code: `((RE2) => (pattern) => { const re = RE2.compile(pattern); return { test: (input) => input.length <= ${PATTERN_INPUT_LIMIT} && re.test(input), toString: () => "re2:" + pattern }; })(require("re2js").RE2JS)`,
});

/** Why RE2 cannot run `pattern` as JSON Schema means it, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  if (/\[[^\]]*-\[/.test(pattern)) return `"${pattern}" uses XML Schema character class subtraction ("-[...]"), which means something else here: write the class out, or escape the bracket ("\\[") for a literal one`;
  if (/\\[pP]\{Is/.test(pattern)) return `"${pattern}" uses an XML Schema block escape (\\p{Is…}): write the character range instead`;
  if (/\\[iIcC]/.test(pattern)) return `"${pattern}" uses an XML Schema name escape (\\i, \\c): write the character class instead`;
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (err) {
    return `"${pattern}" cannot be matched in linear time (lookaround and backreferences are not supported): ${(err as Error).message}`;
  }
}

/** Refuses the first pattern in `schema` (a JSON Schema) that patternProblem finds, naming the field. */
export function checkSchemaPatterns(file: string, schema: unknown, pointer = ''): void {
  if (Array.isArray(schema)) {
    schema.forEach((item, i) => checkSchemaPatterns(file, item, `${pointer}/${i}`));
    return;
  }
  if (schema === null || typeof schema !== 'object') return;
  const node = schema as Record<string, unknown>;
  if (typeof node.pattern === 'string') {
    const problem = patternProblem(node.pattern);
    if (problem) throw new PatternError(file, `${pointer}/pattern`, `field ${fieldName(pointer, node)}: ${problem}`);
  }
  for (const [key, value] of Object.entries(node)) {
    const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (key === 'patternProperties' && value && typeof value === 'object') {
      for (const name of Object.keys(value)) {
        const problem = patternProblem(name);
        if (problem) throw new PatternError(file, `${at}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, problem);
      }
    }
    if (key === 'enum' || key === 'const' || key === 'examples' || key === 'default') continue;
    // A property literally called "pattern" is a field, not a keyword: only string values are patterns.
    if (typeof value === 'object') checkSchemaPatterns(file, value, at);
  }
}

/** "betrieb.telefon (Telefonnummer)": the property path from the pointer, and the title if there is one. */
function fieldName(pointer: string, node: Record<string, unknown>): string {
  const parts = pointer.split('/').filter((p, i, all) => all[i - 1] === 'properties' && p !== '');
  const path = parts.length > 0 ? parts.join('.') : pointer || '/';
  return typeof node.title === 'string' ? `${path} (${node.title})` : path;
}

/** The XML Schema (XSD 1.0) regex result: RE2 syntax that means the same, or why there is none. */
export type XsdTranslation = { pattern: string; notes: string[] } | { problem: string };

/** XML NameStartChar and NameChar, for \i and \c (XML 1.0 fifth edition). */
const NAME_START = ':A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD';
const NAME_MORE = '\\-.0-9\u00B7\u0300-\u036F\u203F-\u2040';

/** The Unicode blocks FIM patterns use; others are refused by name rather than guessed. */
const BLOCKS: Readonly<Record<string, string>> = {
  BasicLatin: '\\x00-\\x7F',
  'Latin-1Supplement': '\u0080-\u00FF',
  'LatinExtended-A': '\u0100-\u017F',
  'LatinExtended-B': '\u0180-\u024F',
  IPAExtensions: '\u0250-\u02AF',
  SpacingModifierLetters: '\u02B0-\u02FF',
  CombiningDiacriticalMarks: '\u0300-\u036F',
  Greek: '\u0370-\u03FF',
  GreekandCoptic: '\u0370-\u03FF',
  Cyrillic: '\u0400-\u04FF',
  LatinExtendedAdditional: '\u1E00-\u1EFF',
  GeneralPunctuation: '\u2000-\u206F',
  CurrencySymbols: '\u20A0-\u20CF',
};

/** Escapes whose XSD meaning RE2 spells otherwise (XSD's \d and \w are Unicode, RE2's ASCII). */
const CLASS_ESCAPES: Readonly<Record<string, { inside: string; alone: string }>> = {
  d: { inside: '\\p{Nd}', alone: '\\p{Nd}' },
  D: { inside: '\\P{Nd}', alone: '\\P{Nd}' },
  w: { inside: '\\p{L}\\p{M}\\p{N}\\p{S}', alone: '[\\p{L}\\p{M}\\p{N}\\p{S}]' },
  W: { inside: '\\p{P}\\p{Z}\\p{C}', alone: '[\\p{P}\\p{Z}\\p{C}]' },
  s: { inside: ' \\t\\n\\r', alone: '[ \\t\\n\\r]' },
  S: { inside: '', alone: '[^ \\t\\n\\r]' },
  i: { inside: NAME_START, alone: `[${NAME_START}]` },
  I: { inside: '', alone: `[^${NAME_START}]` },
  c: { inside: NAME_START + NAME_MORE, alone: `[${NAME_START}${NAME_MORE}]` },
  C: { inside: '', alone: `[^${NAME_START}${NAME_MORE}]` },
};

/**
 * Translates an XML Schema regular expression (FIM's `praezisierung pattern`) to the dialect the
 * runtime matches with. XSD patterns match the whole value (anchored here), `^` and `$` are no
 * anchors there, `.` excludes \r as well as \n, `\d` and `\w` are Unicode classes, and `\i`, `\c`,
 * `\p{Is<Block>}` and class subtraction exist only there. What has no faithful translation is
 * refused, so nothing is silently matched differently from the authority's XSD validator.
 */
export function translateXsdPattern(xsd: string): XsdTranslation {
  const notes: string[] = [];
  let source = xsd;
  // Authors often write ^…$ as in other dialects; in XSD both would be literal characters.
  if (source.startsWith('^') && source.endsWith('$') && !source.endsWith('\\$') && source.length > 1) {
    source = source.slice(1, -1);
    notes.push('^ and $ are literal characters in XML Schema; read as the anchors the author meant');
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) return { problem: `"${xsd}" ends in a lone backslash` };
      if ((next === 'p' || next === 'P') && source[i + 2] === '{') {
        const end = source.indexOf('}', i + 3);
        if (end < 0) return { problem: `"${xsd}" has an unclosed \\${next}{` };
        const name = source.slice(i + 3, end);
        i = end;
        if (name.startsWith('Is')) {
          const range = BLOCKS[name.slice(2)];
          if (range === undefined) return { problem: `"${xsd}" uses the Unicode block ${name}, which has no translation here` };
          if (next === 'P' && inClass) return { problem: `"${xsd}" negates a block (\\P{${name}}) inside a character class, which has no translation here` };
          out += next === 'P' ? `[^${range}]` : inClass ? range : `[${range}]`;
        } else {
          out += `\\${next}{${name}}`;
        }
        continue;
      }
      const escape = CLASS_ESCAPES[next];
      if (escape) {
        if (inClass && escape.inside === '') return { problem: `"${xsd}" uses \\${next} inside a character class, which has no translation here` };
        out += inClass ? escape.inside : escape.alone;
      } else {
        out += `\\${next}`;
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === '-' && source[i + 1] === '[') return { problem: `"${xsd}" uses character class subtraction ("-[…]"), which has no translation here: write the class out` };
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' or '^]' right after '[' is part of the class in XSD as in RE2; copy it as is.
      if (source[i + 1] === '^') out += source[++i];
      continue;
    }
    out += c === '.' ? '[^\\n\\r]' : c === '^' ? '\\^' : c === '$' ? '\\$' : c;
  }
  const pattern = `^(?:${out})$`;
  const problem = patternProblem(pattern);
  return problem ? { problem: `"${xsd}": ${problem}` } : { pattern, notes };
}
