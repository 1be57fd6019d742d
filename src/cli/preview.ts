import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/env.js';
import { createRenderer } from '../forms/render.js';
import { isLang, LANGS, type Lang } from '../forms/text.js';
import { APP_CSS, describeExample, KERN_DIST, Previewer, PreviewError } from '../http/preview.js';
import { FORMATS_DIR, loadDeclarations, type Declarations } from '../runtime.js';
import type { LocalText } from '../services/contract.js';
import { textCatalogue, type TextOverride } from '../tenants/texts.js';

export interface PreviewOptions {
  tenant?: string;
  service?: string;
  step?: string;
  lang?: string;
  example?: string;
  errors?: boolean;
  standalone?: boolean;
  out?: string;
  all?: boolean;
  list?: boolean;
  texts?: boolean;
}

/** `efa preview`: one page to stdout or a file, every page into a folder, or what there is to preview. */
export async function runPreview(config: Config, opts: PreviewOptions): Promise<void> {
  const decl = await loadDeclarations(config.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001', ...process.env });
  const previewer = new Previewer(decl, createRenderer(config.root), FORMATS_DIR);
  if (opts.texts) return printTexts(decl, opts.tenant);
  if (opts.list) return printList(decl, previewer);
  if (opts.all) return writeAll(decl, previewer, opts);
  if (!opts.tenant) throw new PreviewError('--tenant is required (or --all, --list, --texts); tenants: ' + [...decl.tenants.keys()].join(', '));
  const page = previewer.render({ tenant: opts.tenant, service: opts.service, page: opts.step, lang: langOf(opts.lang), example: opts.example, errors: opts.errors, standalone: opts.standalone ?? opts.out !== undefined });
  if (!opts.out) {
    process.stdout.write(page.html);
    return;
  }
  write(opts.out, page.html);
  console.error(`wrote ${opts.out} (${page.tenant}/${page.service}/${page.page}, example ${page.example})`);
}

function langOf(value: string | undefined): Lang | undefined {
  if (value === undefined) return undefined;
  if (!isLang(value)) throw new PreviewError(`--lang must be one of ${LANGS.join(', ')}`);
  return value;
}

/**
 * Every page of every offered service in every language: <out>/<tenant>/<service>/<page>.<lang>.html
 * (a group's row page <step>/1 as <step>.1.<lang>.html, beside the others, so relative links hold).
 * The stylesheets, fonts and logos are copied once beside them (inlining KERN UX into hundreds of
 * pages would cost hundreds of megabytes), so the folder opens in any browser without a server.
 */
function writeAll(decl: Declarations, previewer: Previewer, opts: PreviewOptions): void {
  const out = opts.out;
  if (!out) throw new PreviewError('--all needs --out <folder>');
  const tenants = opts.tenant ? [opts.tenant] : [...decl.tenants.keys()];
  cpSync(join(KERN_DIST, 'kern.min.css'), join(out, '_assets', 'kern', 'kern.min.css'));
  cpSync(join(KERN_DIST, 'fonts'), join(out, '_assets', 'kern', 'fonts'), { recursive: true });
  cpSync(APP_CSS, join(out, '_assets', 'app.css'));
  let count = 0;
  for (const id of tenants) {
    const tenant = decl.tenants.get(id);
    if (!tenant) throw new PreviewError(`no tenant "${id}" (tenants: ${[...decl.tenants.keys()].join(', ')})`);
    write(join(out, id, '_assets', 'theme.css'), tenant.themeCss);
    if (tenant.logoSvg) write(join(out, id, '_assets', 'logo.svg'), tenant.logoSvg.body);
    const assets = { theme: '../_assets/theme.css', logo: '../_assets/logo.svg', kern: '../../_assets/kern', app: '../../_assets/app.css' };
    for (const service of Object.keys(tenant.services).filter((s) => !opts.service || s === opts.service)) {
      for (const page of previewer.pages(tenant, service)) {
        for (const lang of tenant.languages.filter((l) => !opts.lang || l === opts.lang)) {
          const file = page.replace('/', '.');
          const result = previewer.render({ tenant: id, service, page, lang, example: opts.example, errors: opts.errors, assets, languageHref: (other) => `${file}.${other}.html` });
          write(join(out, id, service, `${file}.${lang}.html`), result.html);
          count++;
        }
      }
    }
  }
  console.log(`wrote ${count} pages under ${out}`);
}

function write(file: string, body: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, body);
}

function printList(decl: Declarations, previewer: Previewer): void {
  for (const tenant of decl.tenants.values()) {
    for (const service of Object.keys(tenant.services)) console.log(`${tenant.id} ${service} [${tenant.languages.join(', ')}]: ${previewer.pages(tenant, service).join(' ')}`);
  }
  for (const service of decl.services.values()) {
    for (const example of previewer.examplesOf(service)) console.log(`example ${service.definition.id} ${describeExample(example, 'de')}`);
  }
}

/** The keys a tenant may override in `texts`, with the text it shows now (its override or the default). */
function printTexts(decl: Declarations, tenantId: string | undefined): void {
  const tenant = tenantId === undefined ? undefined : decl.tenants.get(tenantId);
  if (tenantId !== undefined && !tenant) throw new PreviewError(`no tenant "${tenantId}"`);
  const overrides = tenant?.texts ?? {};
  for (const [key, fallback] of textCatalogue(decl.services, decl.forms)) {
    const override = overrides[key];
    const value = override !== undefined ? `${describe(override)} (override)` : describe(fallback);
    console.log(`${key}\t${value}`);
  }
}

function describe(text: LocalText | TextOverride | undefined): string {
  if (text === undefined) return '–';
  if (typeof text === 'string') return `de: ${text}`;
  return LANGS.filter((l) => text[l] !== undefined).map((l) => `${l}: ${text[l]}`).join(' | ');
}
