import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Locator, Page, Response } from 'playwright-core';
import { getAt } from '../src/forms/pointer.js';
import { createRenderer, type Renderer } from '../src/forms/render.js';
import { t as inLang, type Lang } from '../src/forms/text.js';
import { stepContext } from '../src/http/applicant/logic.js';
import { rowView, topRow } from '../src/http/applicant/row.js';
import { stepView } from '../src/http/applicant/step.js';
import { berlinDateTime, formOf, renderPage, type PageEnv, type PageView } from '../src/http/applicant/view.js';
import { FORMATS_DIR } from '../src/runtime.js';
import { loadExamples, type ServiceExample } from '../src/services/examples.js';
import type { LoadedService } from '../src/services/registry.js';
import { portalNameOf } from '../src/tenants/portals.js';
import type { Tenant } from '../src/tenants/registry.js';
import { createHash, randomUUID } from 'node:crypto';
import { storeAnswer } from '../src/postfach/answers.js';
import { statusKeyHash } from '../src/submissions/status-key.js';
import { pdfWith } from './support/answers.js';
import { axeViolations, launchChromium, report, vnuErrors, type HtmlPage } from './support/page-checks.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * Every page an applicant can meet, in a real browser (Debian's Chromium through playwright-core),
 * checked with axe-core (WCAG 2.2 AA) and the Nu HTML Checker: every loaded service walked over
 * HTTP with its own sample data (services/<id>/examples.json) in three Länder and once in English,
 * each step first posted empty (error summary), the check page with nothing answered, a forged
 * CSRF token, an unknown page, the confirmation and status pages, the Postfach (empty, with an
 * answer, its reply posted without a document), the legal pages, the Land's home
 * page and the index. The first Land is walked by keyboard (every error-summary link followed to
 * its field); one submission per service without JavaScript; screenshots for the README
 * (docs/screenshots/). One browser for the file, one HTML checker run for all pages.
 */
const LANDS = ['sh', 'nw', 'by'] as const;
const ENGLISH_LAND = 'sh';
/** The first two digits of an ARS name the Land: an example placed in the walked Land is preferred. */
const LAND_ARS: Record<string, string> = { sh: '01', hh: '02', ni: '03', hb: '04', nw: '05', he: '06', rp: '07', bw: '08', by: '09', sl: '10', be: '11', bb: '12', mv: '13', sn: '14', st: '15', th: '16' };
const SCREENSHOT_DIR = 'docs/screenshots';
/** A phone's width in CSS pixels: the walk of the second Land runs at it, every page checked for reflow. */
const PHONE_WIDTH = 375;
/**
 * What shows the current time (how long the draft is kept): taken out of the page before a
 * screenshot (the CSP refuses an injected stylesheet), so a second run writes the same bytes and
 * the working tree stays clean.
 */
const CHANGING = '.efa-draft-expiry';
/** The page's step (or row) form; the file removal form (step.hbs) posts only a file's removal. */
const STEP_FORM = 'form[method="post"]:not(#efa-file-removal)';

function berlinToday(): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(new Date());
}

/** Where a walk stops for a screenshot: a group's list with its rows, the check page, the confirmation. */
type Stage = 'list' | 'check' | 'confirmation';

/** An element's text with its white space collapsed. */
function squash(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/** A control's answer as the example's step page shows it (read from the rendered form). */
interface Entry { kind: 'text' | 'check' | 'select' | 'file'; name: string; value: string }

describe('every page in a real browser: axe-core (WCAG 2.2 AA) and the Nu HTML Checker', () => {
  let stack: TestStack;
  let chromium: Browser;
  let renderer: Renderer;
  const today = berlinToday();
  /** Every page shown, as served, for one run of the HTML checker at the end. */
  const served: HtmlPage[] = [];
  const examples = new Map<string, ServiceExample[]>();

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    chromium = await launchChromium();
    renderer = createRenderer(stack.rt.config.root);
    for (const [id, service] of stack.rt.services) examples.set(id, loadExamples(service, FORMATS_DIR, today));
  });
  after(async () => {
    await chromium?.close();
    await stack?.close();
  });

  function tenant(id: string): Tenant {
    const found = stack.rt.tenants.get(id);
    assert.ok(found, `tenant ${id} is loaded`);
    return found;
  }

  function servicesOf(t: Tenant): LoadedService[] {
    return Object.keys(t.services).map((id) => stack.rt.services.get(id)).filter((s): s is LoadedService => s !== undefined);
  }

  /** The service's example placed in this Land, else its first. */
  function exampleFor(t: Tenant, service: LoadedService): ServiceExample {
    const list = examples.get(service.definition.id) ?? [];
    const prefix = LAND_ARS[t.id];
    const local = list.find((e) => prefix !== undefined && new RegExp(`"ars":"${prefix}[0-9]{10}"`).test(JSON.stringify(e.data)));
    const chosen = local ?? list[0];
    assert.ok(chosen, `${service.definition.id} has an example`);
    return chosen;
  }

  /**
   * A browser tab that records every document it is served (for the HTML checker) and checks each
   * page it lands on with axe; violations are gathered so one run reports them all.
   */
  class Tab {
    readonly violations = new Map<string, string[]>();
    private last?: { status: number; html: Promise<string> };

    /** Pages wider than the viewport, when the tab is phone-sized (WCAG 1.4.10 reflow). */
    readonly overflowing = new Map<string, string[]>();

    constructor(readonly page: Page, readonly axe = true, readonly narrow = false) {
      page.on('response', (res: Response) => {
        const req = res.request();
        if (!req.isNavigationRequest() || req.frame() !== page.mainFrame()) return;
        if (res.status() >= 300 && res.status() < 400) return;
        this.last = { status: res.status(), html: res.text() };
      });
    }

    /** Checks the page the tab is on; `status` is what it must have been served with. */
    async landed(name: string, status = 200): Promise<void> {
      const last = this.last;
      assert.ok(last, `${name}: a page was served`);
      this.last = undefined;
      const html = await last.html;
      assert.equal(last.status, status, `${name}: served with ${status} (${this.page.url()}): ${errorsOn(html)}`);
      served.push({ name, html });
      if (this.narrow) {
        const wide = await overflowOf(this.page);
        if (wide.length > 0) this.overflowing.set(`${name} (${this.page.url()})`, wide);
      }
      if (!this.axe) return;
      const found = await axeViolations(this.page);
      if (found.length > 0) this.violations.set(`${name} (${this.page.url()})`, found);
    }

    async goto(path: string, name: string, status = 200): Promise<void> {
      await this.page.goto(`${stack.url}${path}`);
      await this.landed(name, status);
    }

    /** Activates a submit button (or link) and checks the page it leads to. */
    async press(control: Locator, name: string, status = 200): Promise<void> {
      await Promise.all([this.page.waitForNavigation(), control.click()]);
      await this.landed(name, status);
    }

    path(): string {
      return new URL(this.page.url()).pathname;
    }
  }

  function errorsOn(html: string): string {
    return [...html.matchAll(/<p class="kern-error"[^>]*>([\s\S]*?)<\/p>/g)].map((m) => (m[1] ?? '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()).join(' | ');
  }

  async function newTab(opts: { javaScript?: boolean; axe?: boolean; viewport?: { width: number; height: number } } = {}): Promise<{ tab: Tab; context: BrowserContext }> {
    // German unless a walk asks for English: Chromium would otherwise send Accept-Language en-US.
    const viewport = opts.viewport ?? { width: 1280, height: 800 };
    const context = await chromium.newContext({ locale: 'de-DE', javaScriptEnabled: opts.javaScript ?? true, viewport });
    const page = await context.newPage();
    // axe needs the page's JavaScript; without it the HTML checker still sees every page.
    return { tab: new Tab(page, (opts.javaScript ?? true) && (opts.axe ?? true), viewport.width <= PHONE_WIDTH), context };
  }

  /**
   * Every visible element reaching past the viewport's right or left edge (named by tag, class and
   * the start of its text, with how far), and the page's own horizontal scroll: at phone width the
   * content must reflow (WCAG 1.4.10), so the list must be empty.
   */
  function overflowOf(page: Page): Promise<string[]> {
    return page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const found: string[] = [];
      if (document.documentElement.scrollWidth > width) found.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px content in ${width} px`);
      for (const el of Array.from(document.body.querySelectorAll('*'))) {
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        // Visually hidden text for screen readers is clipped to nothing; it takes no room on screen.
        if (r.width <= 1 || r.height <= 1 || style.visibility === 'hidden' || style.clipPath.startsWith('inset(50%') || style.clip === 'rect(0px, 0px, 0px, 0px)') continue;
        const over = Math.max(r.right - width, -r.left);
        if (over > 1) found.push(`${el.tagName.toLowerCase()}.${Array.from(el.classList).join('.')} "${(el.textContent ?? '').trim().slice(0, 40)}" by ${Math.round(over)} px`);
      }
      return found;
    });
  }

  /** The answers of one step (or one group row) as the example's page would show them filled in. */
  async function answersFor(tab: Tab, env: PageEnv, service: LoadedService, example: ServiceExample, stepId: string, row: number | undefined): Promise<Entry[]> {
    const step = formOf(env.tenant, service.definition.id).steps.find((s) => s.id === stepId);
    assert.ok(step, `step ${stepId} exists`);
    const conditions = stepContext(env, stack.rt.places, service, today, example.data).conditions;
    const state = { errors: new Map<string, string>(), parsed: new Map() };
    const group = step.fields.find((f) => f.group);
    let view: PageView;
    if (row !== undefined && group) view = rowView(env, service, step, topRow(env, service.definition.id, step, group, row), example.data, state, { fromCheck: false, csrf: 'x', conditions });
    else view = stepView(env, service, step, example.data, state, { fromCheck: false, csrf: 'x', conditions });
    const html = renderPage(renderer, env, view);
    return tab.page.evaluate((source) => {
      const doc = new DOMParser().parseFromString(source, 'text/html');
      const form = doc.querySelector('form[method="post"]') as HTMLFormElement | null;
      const out: Array<{ kind: 'text' | 'check' | 'select' | 'file'; name: string; value: string }> = [];
      for (const el of Array.from(form?.elements ?? []) as HTMLInputElement[]) {
        if (!el.name || el.name === '_csrf') continue;
        // A file the example holds is shown as kept: the walk uploads one in its place.
        if (el.type === 'hidden') { if (el.name.endsWith('.keep')) out.push({ kind: 'file', name: el.name.slice(0, -'.keep'.length), value: el.value }); continue; }
        if (el.type === 'radio' || el.type === 'checkbox') { if (el.checked) out.push({ kind: 'check', name: el.name, value: el.value }); continue; }
        if (el.type === 'submit' || el.type === 'file' || el.tagName === 'BUTTON') continue;
        if (el.tagName === 'SELECT') { if (el.value) out.push({ kind: 'select', name: el.name, value: el.value }); continue; }
        if (el.value !== '') out.push({ kind: 'text', name: el.name, value: el.value });
      }
      return out;
    }, html);
  }

  async function fill(page: Page, entries: Entry[]): Promise<void> {
    const files = new Map<string, number>();
    for (const e of entries) {
      const control = `[name="${e.name}"]`;
      if (e.kind === 'text') await page.locator(control).fill(e.value);
      else if (e.kind === 'check') await page.locator(`${control}[value="${e.value}"]`).check();
      else if (e.kind === 'select') await page.locator(control).selectOption(e.value);
      else files.set(e.name, (files.get(e.name) ?? 0) + 1);
    }
    for (const [name, count] of files) {
      const input = page.locator(`input[type="file"][name="${name}"]`);
      const accept = (await input.getAttribute('accept')) ?? '';
      assert.ok(accept === '' || accept.includes('application/pdf'), `${name}: the walk uploads PDFs; this field accepts ${accept}`);
      await input.setInputFiles(Array.from({ length: count }, (_, i) => ({ name: `nachweis-${i + 1}.pdf`, mimeType: 'application/pdf', buffer: pdfWith(`${name} ${i + 1}`) })));
    }
  }

  const continueButton = (page: Page) => page.locator('form[method="post"] .efa-actions button[type="submit"]');

  /**
   * Issue 23, items 9 and 15: the header names the portal the Land files the service under (NW's
   * business services under its business portal, the rest under the citizen portal), and what the
   * service declares to know "before you start" is shown above the start button.
   */
  async function startPageSays(tab: Tab, t: Tenant, service: LoadedService, lang: Lang, label: string): Promise<void> {
    const page = tab.page;
    assert.equal(squash(await page.locator('.efa-header__brand').textContent()), inLang(portalNameOf(t, service.definition.id), lang), `${label}: the header names the service's portal`);
    const before = service.definition.beforeStart;
    const section = page.locator('main .efa-before-start');
    if (!before) {
      assert.equal(await section.count(), 0, `${label}: no empty "before you start" section`);
      return;
    }
    assert.ok(await section.isVisible(), `${label}: the "before you start" section is shown`);
    const shown = squash(await section.textContent());
    for (const part of [before.eligibility, ...(before.needs ?? []), before.duration]) if (part) assert.ok(shown.includes(part[lang]), `${label}: "before you start" says ${part[lang]}`);
    assert.ok(await page.evaluate(() => {
      const start = document.querySelector('form[action$="/start"]');
      return start !== null && (document.querySelector('.efa-before-start')?.compareDocumentPosition(start) ?? 0) & Node.DOCUMENT_POSITION_FOLLOWING;
    }), `${label}: "before you start" is read before the start button`);
  }

  /** Issue 23, item 11: in each list of summary rows (a group's list, a section of the check page) every row's answers start at one edge. */
  async function answersInOneColumn(page: Page, where: string): Promise<void> {
    const lefts = await page.locator('main dl:has(> .efa-summary-row)').evaluateAll((lists) => lists.map((dl) => Array.from(dl.querySelectorAll(':scope > .efa-summary-row > .kern-description-list-item__value')).map((dd) => Math.round(dd.getBoundingClientRect().left))));
    for (const list of lefts) assert.equal(new Set(list).size <= 1, true, `${where}: the answers of every row start in one column (left edges ${list.join(', ')} px)`);
  }

  /**
   * Issue 23, item 11: on the check page a number the applicant entered (integer, decimal or money
   * field) or the logic declares as a number is written with the language's digit grouping, never
   * as a bare run like "31500"; a yes/no fact is said in the words the service declares.
   */
  async function checkPageSays(tab: Tab, t: Tenant, service: LoadedService, lang: Lang, label: string): Promise<void> {
    await answersInOneColumn(tab.page, `${label}: check page`);
    const fields = formOf(t, service.definition.id).steps.flatMap((s) => s.fields.flatMap((f) => [f, ...(f.group?.items ?? [])]));
    const numeric = new Set(fields.filter((f) => ['integer', 'decimal', 'money'].includes(f.kind.name)).map((f) => inLang(f.label, lang)));
    const display = (service.definition.display ?? []).filter((d) => (d.pages ?? ['check']).includes('check'));
    for (const d of display.filter((item) => item.format === 'number' || item.format === 'money')) numeric.add(d.label[lang]);
    const shown = await tab.page.locator('main .efa-summary-row, main .efa-fact').evaluateAll((els) => els.flatMap((el) => {
      const key = (el.querySelector('dt')?.textContent ?? '').trim();
      const dd = el.querySelector('dd');
      // A group's row lists its fields as label/value pairs; a fee's lines read "label: value".
      const pairs = Array.from(dd?.querySelectorAll('.efa-lines__item') ?? []).map((item) => ({ key: (item.querySelector('dt')?.textContent ?? '').trim(), value: (item.querySelector('dd')?.textContent ?? '').trim() }));
      const lines = Array.from(dd?.querySelectorAll('li.efa-line') ?? []).map((line) => (line.textContent ?? '').trim());
      return [{ key, value: (dd?.firstChild?.textContent ?? '').trim() }, ...pairs, ...lines.map((line) => ({ key: line.slice(0, line.indexOf(':')), value: line.slice(line.indexOf(':') + 1).trim() }))];
    }));
    // Grouped from five digits ("31.500"), as DIN 5008 and the fields write them; "1850" kg stays.
    for (const { key, value } of shown) if (numeric.has(key)) assert.doesNotMatch(value, /\d{5}/, `${label}: "${key}" on the check page is written with digit grouping (${value})`);
    for (const d of display.filter((item) => item.says)) {
      const fact = shown.find((row) => row.key === d.label[lang]);
      if (fact) assert.ok([d.says?.true[lang], d.says?.false[lang]].includes(fact.value), `${label}: "${d.label[lang]}" is said in the service's words, not "${fact.value}"`);
    }
  }

  /**
   * One service from its start page to its status page, over HTTP in the browser, with every error
   * state on the way. `keyboard`: after each empty post, follow every error-summary link by keyboard.
   */
  async function walk(tab: Tab, t: Tenant, service: LoadedService, lang: Lang, opts: { keyboard?: boolean; errors?: boolean; shoot?: (at: Stage) => Promise<void> } = {}): Promise<void> {
    const errors = opts.errors ?? true;
    const id = service.definition.id;
    const base = `/${t.id}`;
    const label = `${t.id}${lang === 'de' ? '' : `/${lang}`} ${id}`;
    const example = exampleFor(t, service);
    const env: PageEnv = { tenant: t, lang, base, url: `${base}/${id}` };
    const page = tab.page;
    const startButton = page.locator(`form[action$="/${id}/start"] button[type="submit"]`).last();

    await tab.goto(`${base}/${id}${lang === 'de' ? '' : `?lang=${lang}`}`, `${label}: start`);
    await startPageSays(tab, t, service, lang, label);
    if (errors) {
      // A forged CSRF token: the Land's error page, not Fastify's JSON.
      await page.locator(`form[action$="/${id}/start"] input[name="_csrf"]`).last().evaluate((el) => { (el as HTMLInputElement).value = 'forged'; });
      await tab.press(startButton, `${label}: CSRF token refused`, 403);
      await tab.goto(`${base}/${id}`, `${label}: start again`);
    }
    await tab.press(startButton, `${label}: first step`);
    if (errors) {
      await tab.goto(`${base}/${id}/speichern`, `${label}: save and continue later`);
      await tab.goto(`${base}/${id}/pruefen`, `${label}: check page, nothing answered`);
      await tab.press(page.locator('form[action$="/absenden"] button[type="submit"]'), `${label}: submitted with nothing answered`, 400);
      await tab.goto(`${base}/${id}/${formOf(t, id).steps[0]?.id}`, `${label}: first step again`);
    }

    const postedEmpty = new Set<string>();
    let rowsDone = 0;
    let listChecked = false;
    for (let guard = 0; guard < 60; guard++) {
      if (tab.path() === `${base}/${id}/pruefen`) break;
      const action = new URL((await page.locator(STEP_FORM).last().getAttribute('action')) ?? '', stack.url).pathname;
      const [stepId, rowNumber] = action.slice(`${base}/${id}/`.length).split('/') as [string, string | undefined];
      const step = formOf(t, id).steps.find((s) => s.id === stepId);
      assert.ok(step, `${label}: ${action} is a step of the form`);
      const group = step.fields.find((f) => f.group);
      const where = `${label}: ${stepId}${rowNumber ? ` row ${rowNumber}` : ''}`;
      // A group's list page posts no answers: "add" opens a row's page, "continue" goes on.
      if (group && rowNumber === undefined) {
        const wanted = Array.isArray(getAt(example.data, group.pointer)) ? (getAt(example.data, group.pointer) as unknown[]).length : 0;
        if (!listChecked && wanted > 0 && rowsDone === wanted) {
          // Once per walk, with every row in place: the list's layout, a row's way back, and removing
          // the last row (asked first, then a banner); the walk then adds it again.
          listChecked = true;
          await exerciseList(tab, where, action, wanted);
          rowsDone--;
          continue;
        }
        if (rowsDone < wanted) await tab.press(page.locator('button[name="aktion"][value="hinzufuegen"]'), `${where}: add a row`);
        else {
          await answersInOneColumn(tab.page, where);
          await opts.shoot?.('list');
          await tab.press(continueButton(page), `${where}: rows done`);
        }
        continue;
      }
      if (errors && !postedEmpty.has(action)) {
        postedEmpty.add(action);
        if (opts.keyboard) await submitByKeyboard(page);
        else await Promise.all([page.waitForNavigation(), page.locator(STEP_FORM).last().evaluate((f) => (f as HTMLFormElement).requestSubmit())]);
        await tab.landed(`${where}: posted empty`, 400);
        assert.ok(await page.locator('.efa-error-summary a').count() > 0, `${where}: posted empty, the error summary lists what is missing`);
        if (opts.keyboard) await followSummaryByKeyboard(page, where);
      }
      await fill(page, await answersFor(tab, env, service, example, stepId, rowNumber === undefined ? undefined : Number(rowNumber) - 1));
      await tab.press(continueButton(page), `${where}: answered`);
      if (rowNumber !== undefined) rowsDone++;
    }
    assert.equal(tab.path(), `${base}/${id}/pruefen`, `${label}: the walk reached the check page`);
    await checkPageSays(tab, t, service, lang, label);
    await opts.shoot?.('check');
    // A service whose fee can be paid here: the payment pages (docs/payment.md) share one template;
    // a return for no payment of this draft renders it without a payment provider's help.
    if (errors && t.payment && ['optional', 'before-submit'].includes(service.definition.payment?.policy ?? '')) {
      await tab.goto(`${base}/${id}/bezahlen/rueckkehr?zahlung=00000000-0000-4000-8000-000000000000${lang === 'de' ? '' : `&lang=${lang}`}`, `${label}: payment not found`, 404);
      await tab.goto(`${base}/${id}/pruefen`, `${label}: check page again`);
    }
    await tab.press(page.locator('form[action$="/absenden"] button[type="submit"]'), `${label}: confirmation`);
    assert.match(tab.path(), new RegExp(`^${base}/${id}/bestaetigung/`), `${label}: submitted`);
    assert.deepEqual((await page.locator('main ol.efa-next-steps li').allTextContents()).map(squash), (service.definition.nextSteps ?? []).map((line) => inLang(line, lang)),
      `${label}: the confirmation lists the next steps the service declares, numbered`);
    await opts.shoot?.('confirmation');
    await tab.press(page.locator('main a[href*="/status/"]').first(), `${label}: status`);
    const badge = page.locator('main .kern-badge[data-status]');
    assert.notEqual(squash(await badge.textContent()), await badge.getAttribute('data-status'), `${label}: the status is said in words, not as its code`);
    if (!errors) return;
    await postfachPages(tab, label);
    // A group that needs rows, its list posted without any, shows its own message; the walk never
    // sees that page (such a group opens with its first row), so the preview shows it, same views.
    for (const step of formOf(t, id).steps.filter((s) => s.fields.some((f) => f.group && f.group.minItems > 0))) {
      await tab.goto(`/_efa/preview/${t.id}/${id}/${step.id}?errors=1&lang=${lang}`, `${label}: ${step.id} without rows (preview)`, 400);
    }
  }

  /**
   * The "add another" list on `list` with `rows` rows: "Ändern | Entfernen" sit on one line, each
   * link one line high (not a letter per line); a row page's "Zurück" leads to the list; "Entfernen"
   * asks first (cancel keeps the row), then removes the last row and the list says so.
   */
  async function exerciseList(tab: Tab, where: string, list: string, rows: number): Promise<void> {
    const page = tab.page;
    const boxes = await page.locator('.efa-row-actions').evaluateAll((uls) => uls.map((ul) => Array.from(ul.querySelectorAll('a')).map((a) => {
      const r = a.getBoundingClientRect();
      const style = getComputedStyle(a);
      const line = Number.parseFloat(style.lineHeight) || Number.parseFloat(style.fontSize) * 1.5;
      return { top: Math.round(r.top), height: r.height, line, rects: a.getClientRects().length };
    })));
    assert.equal(boxes.length, rows, `${where}: one summary row with actions per item`);
    for (const [change, remove] of boxes) {
      assert.ok(change && remove, `${where}: each row has Ändern and Entfernen`);
      assert.equal(remove.rects, 1, `${where}: "Entfernen" is one box, not broken over lines`);
      assert.ok(remove.height < remove.line * 1.5, `${where}: "Entfernen" is one line high (${remove.height}px, line ${remove.line}px)`);
      assert.equal(change.top, remove.top, `${where}: "Ändern" and "Entfernen" on one line`);
    }
    await tab.goto(`${list}/1`, `${where}: row 1`);
    assert.match((await page.locator('h1').textContent()) ?? '', /\S+ 1: \S/, `${where}: the row page names the item`);
    await tab.press(page.locator('main a.kern-link').first(), `${where}: back from row 1`);
    assert.equal(tab.path(), list, `${where}: "Zurück" on a row page leads to the list`);
    const removeLink = page.locator('.efa-row-remove').last();
    await tab.press(removeLink, `${where}: remove row ${rows}, asked first`);
    assert.equal(tab.path(), `${list}/${rows}/entfernen`);
    await tab.press(page.locator('.efa-remove-actions a'), `${where}: removal cancelled`);
    assert.equal(await page.locator('.efa-row-remove').count(), rows, `${where}: cancelling removes nothing`);
    await tab.press(page.locator('.efa-row-remove').last(), `${where}: remove row ${rows} again`);
    await tab.press(page.locator('.efa-remove-actions button[type="submit"]'), `${where}: row ${rows} removed`);
    assert.equal(tab.path(), list);
    assert.match((await page.locator('.efa-notice').textContent()) ?? '', new RegExp(`\\S+ ${rows} (wurde entfernt|has been removed)\\.`), `${where}: the banner says what was removed`);
    assert.equal(await page.locator('.efa-row-remove').count(), rows - 1, `${where}: the row is gone`);
  }

  /**
   * The Postfach below the status page the tab is on: empty, then with an authority's answer that
   * asks for a document (stored as the return channel stores a verified one), its reply form posted
   * without a document.
   */
  async function postfachPages(tab: Tab, label: string): Promise<void> {
    const page = tab.page;
    const key = tab.path().split('/').pop() ?? '';
    const { rows: [row] } = await stack.rt.db.query<{ id: string; authority_id: string; leika_key: string }>(
      'SELECT s.id, s.authority_id, s.leika_key FROM submissions s JOIN submission_status_keys k ON k.submission_id = s.id WHERE k.key_sha256 = $1', [statusKeyHash(key)]);
    assert.ok(row, `${label}: the status page is the submission's`);
    await tab.press(page.locator('main a.efa-postfach-link'), `${label}: Postfach, empty`);
    const bytes = pdfWith('Anhörung');
    await storeAnswer(stack.rt.db, stack.rt.drafts, { ...row, status: 'delivered' }, {
      answerId: randomUUID(), submissionId: row.id, status: 'ACTION_REQUIRED', signed: true,
      text: 'Sehr geehrte Antragstellerin, sehr geehrter Antragsteller,\n\nbitte reichen Sie den Nachweis nach.\nMit freundlichen Grüßen',
      attachments: [{ filename: 'Anhörung.pdf', mediaType: 'application/pdf', sha512: createHash('sha512').update(bytes).digest('hex'), bytes }],
    }, 'webhook');
    await tab.goto(`${tab.path()}${new URL(page.url()).search}`, `${label}: Postfach with an answer asking for a document`);
    // Issue 23, item 12: what the office said, dated, in plain words (the status page shows the same list).
    const history = await page.locator('main .efa-history__entry').evaluateAll((els) => els.map((el) => ({ status: el.getAttribute('data-zbp-status') ?? '', date: el.querySelector('.efa-history__date')?.textContent ?? '', text: el.textContent ?? '' })));
    assert.ok(history.length > 0, `${label}: the Postfach lists what happened`);
    for (const h of history) {
      assert.match(h.date, /\b20\d\d\b/, `${label}: each entry of the history is dated (${h.text})`);
      assert.doesNotMatch(h.text, new RegExp(`\\b${h.status}\\b`), `${label}: the history says ${h.status} in words`);
    }
    await tab.press(page.locator('form[action*="/nachreichen"] button[type="submit"]'), `${label}: Postfach, reply without a document`, 400);
  }

  /** Pages of the Land rather than of a service: home, legal pages, an unknown page. */
  async function landPages(tab: Tab, t: Tenant, lang: Lang): Promise<void> {
    const suffix = lang === 'de' ? '' : `?lang=${lang}`;
    const label = `${t.id}${lang === 'de' ? '' : `/${lang}`}`;
    await tab.goto(`/${t.id}/${suffix}`, `${label}: home`);
    for (const slug of ['impressum', 'datenschutz', 'barrierefreiheit', 'kontakt']) await tab.goto(`/${t.id}/${slug}${suffix}`, `${label}: ${slug}`);
    await tab.goto(`/${t.id}/gibt-es-nicht${suffix}`, `${label}: not found`, 404);
  }

  /** Tab from wherever focus is until the form's continue button has it, then Enter. */
  async function submitByKeyboard(page: Page): Promise<void> {
    for (let i = 0; i < 300; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.closest('.efa-actions') !== null && document.activeElement?.tagName === 'BUTTON')) {
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        return;
      }
    }
    assert.fail(`${page.url()}: the continue button cannot be reached with Tab`);
  }

  /**
   * The summary has focus after the page loads; Tab reaches its links in order. Each link, taken
   * with Enter, must focus its field, show it, and show its question (label or legend).
   */
  async function followSummaryByKeyboard(page: Page, where: string): Promise<void> {
    const links = await page.locator('.efa-error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    assert.ok(await page.evaluate(() => document.activeElement?.classList.contains('efa-error-summary')), `${where}: the error summary has focus after the page loads`);
    for (const [i, href] of links.entries()) {
      if (!href.startsWith('#')) continue; // a row's error: its own page, reached by the same link
      if (i > 0) {
        await page.locator('.efa-error-summary').focus();
        await page.evaluate(() => window.scrollTo(0, 0));
      }
      for (let k = 0; k <= i; k++) await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), href, `${where}: Tab reaches summary link ${i + 1}`);
      await page.keyboard.press('Enter');
      const target = href.slice(1);
      // Focus and scrolling follow the key press: wait (bounded) until the field has focus and its
      // question is in view, then assert each part, so a failure says which one is missing.
      await page.waitForFunction((id) => {
        const field = document.getElementById(id);
        const question = field?.closest('fieldset')?.querySelector('legend') ?? document.querySelector(`label[for="${CSS.escape(id)}"]`);
        const r = question?.getBoundingClientRect();
        return document.activeElement === field && r !== undefined && r.top >= 0 && r.bottom <= window.innerHeight;
      }, target, { timeout: 5_000 }).catch(() => undefined);
      const state = await page.evaluate((id) => {
        const field = document.getElementById(id);
        if (!field) return { exists: false };
        // No helper functions in here: tsx would wrap them in a __name() the page does not have.
        const label = document.querySelector(`label[for="${CSS.escape(id)}"]`);
        const legend = field.closest('fieldset')?.querySelector('legend') ?? null;
        const boxes = [field, label, legend].map((el) => (el ? el.getBoundingClientRect() : null));
        const seen = boxes.map((r) => (r ? r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight : null));
        return {
          exists: true, focused: document.activeElement === field, visible: seen[0] === true, invalid: field.getAttribute('aria-invalid') === 'true' || field.closest('[class*="--error"]') !== null,
          label: seen[1] ?? null, legend: seen[2] ?? null,
        };
      }, target);
      assert.ok(state.exists, `${where}: summary link ${href} leads to an element of the page`);
      assert.ok(state.focused, `${where}: ${href} has focus after the link`);
      assert.ok(state.visible, `${where}: ${href} is in view`);
      assert.ok(state.invalid, `${where}: ${href} is marked as wrong (aria-invalid or error style)`);
      assert.ok(state.label !== null || state.legend !== null, `${where}: ${href} has a label or legend`);
      if (state.legend !== null) assert.ok(state.legend, `${where}: the question (legend) of ${href} is in view`);
      else assert.ok(state.label, `${where}: the label of ${href} is in view`);
    }
  }

  test('the checkers catch a broken page (so a pass means something)', async () => {
    const { tab, context } = await newTab();
    try {
      const broken = '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>kaputt</title></head><body><main><h1>Kaputt</h1>'
        + '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="1" height="1"><form><input type="text" name="x"></form><p><div>Block in Absatz</div></p></main></body></html>';
      await tab.page.setContent(broken);
      const violations = await axeViolations(tab.page);
      assert.ok(violations.some((v) => v.startsWith('image-alt:')), `axe reports the image without alt text: ${violations.join(' | ')}`);
      assert.ok(violations.some((v) => v.startsWith('label:')), `axe reports the input without a label: ${violations.join(' | ')}`);
      const errors = await vnuErrors([{ name: 'broken', html: broken }, { name: 'fine', html: '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>gut</title></head><body><p>Gut</p></body></html>' }]);
      assert.ok((errors.get('broken') ?? []).some((e) => /No “p” element in scope|end tag/i.test(e)), `vnu reports the misnested paragraph: ${report(errors)}`);
      assert.equal(errors.has('fine'), false, 'a valid page has no errors');
    } finally {
      await context.close();
    }
  });

  for (const land of LANDS) {
    const keyboard = land === LANDS[0];
    const phone = land === LANDS[1];
    const what = keyboard ? ', by keyboard: each empty step sent with Enter, each error-summary link followed with Tab and Enter to its field with its question in view' : phone ? `, at ${PHONE_WIDTH} px: no element wider than the viewport` : '';
    test(`${land}: every service walked with its example data, every step posted empty first${what}; Land pages; 0 axe violations`, async () => {
      const t = tenant(land);
      // The keyboard walk has a short window: a field low on a long page must still be scrolled to with its question.
      const { tab, context } = await newTab(keyboard ? { viewport: { width: 1280, height: 600 } } : phone ? { viewport: { width: PHONE_WIDTH, height: 812 } } : {});
      try {
        if (keyboard) await tab.goto('/', 'index');
        await landPages(tab, t, 'de');
        for (const service of servicesOf(t)) await walk(tab, t, service, 'de', { keyboard });
        assert.equal(tab.violations.size, 0, `axe (WCAG 2.2 AA) found violations:\n${report(tab.violations)}`);
        if (phone) assert.equal(tab.overflowing.size, 0, `wider than ${PHONE_WIDTH} px (WCAG 1.4.10):\n${report(tab.overflowing)}`);
      } finally {
        await context.close();
      }
    });
  }

  test(`English (${ENGLISH_LAND}): every service and the Land's pages with ?lang=en; 0 axe violations`, async () => {
    const t = tenant(ENGLISH_LAND);
    assert.ok(t.languages.includes('en'), `${t.id} offers English`);
    const { tab, context } = await newTab();
    try {
      await landPages(tab, t, 'en');
      for (const service of servicesOf(t)) await walk(tab, t, service, 'en');
      assert.equal(tab.violations.size, 0, `axe (WCAG 2.2 AA) found violations:\n${report(tab.violations)}`);
    } finally {
      await context.close();
    }
  });

  test(`without JavaScript (${LANDS[1]}): a full submission of every service`, async () => {
    const t = tenant(LANDS[1]);
    const { tab, context } = await newTab({ javaScript: false });
    try {
      for (const service of servicesOf(t)) await walk(tab, t, service, 'de', { errors: false });
    } finally {
      await context.close();
    }
  });

  test('screenshots for the README: one service in three Länder, desktop and phone width (docs/screenshots/)', async () => {
    const offered = (id: string) => LANDS.every((land) => id in tenant(land).services);
    const serviceId = offered('gewerbeanmeldung') ? 'gewerbeanmeldung' : [...stack.rt.services.keys()].find(offered);
    assert.ok(serviceId, 'a service offered in all three Länder');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    for (const [width, height] of [[1280, 800], [375, 812]] as const) {
      // The same pages as the walks, which check them with axe; here only their pictures are taken.
      const { tab, context } = await newTab({ viewport: { width, height }, axe: false });
      try {
        for (const land of LANDS) {
          await tab.goto(`/${land}/${serviceId}`, `${land} ${serviceId}: start (${width} px)`);
          await tab.page.locator(CHANGING).evaluateAll((els) => els.forEach((el) => el.remove()));
          await tab.page.screenshot({ path: `${SCREENSHOT_DIR}/${serviceId}-${land}-start-${width}.png`, fullPage: true });
          await tab.press(tab.page.locator(`form[action$="/${serviceId}/start"] button[type="submit"]`).last(), `${land} ${serviceId}: first step (${width} px)`);
          await Promise.all([tab.page.waitForNavigation(), tab.page.locator(STEP_FORM).last().evaluate((f) => (f as HTMLFormElement).requestSubmit())]);
          await tab.landed(`${land} ${serviceId}: first step posted empty (${width} px)`, 400);
          await tab.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
          await tab.page.locator(CHANGING).evaluateAll((els) => els.forEach((el) => el.remove()));
          await tab.page.screenshot({ path: `${SCREENSHOT_DIR}/${serviceId}-${land}-errors-${width}.png`, fullPage: true });
        }
      } finally {
        await context.close();
      }
    }
  });

  test('screenshots for docs/applicant.md: a group\'s list with its rows, an upload step with its files, the confirmation (docs/screenshots/)', async () => {
    const land = LANDS[0];
    const t = tenant(land);
    const stepsOf = (s: LoadedService) => formOf(t, s.definition.id).steps;
    const fileStep = (s: LoadedService) => stepsOf(s).find((step) => step.fields.some((f) => f.kind.name === 'file'));
    const rowsOf = (s: LoadedService) => stepsOf(s).flatMap((step) => step.fields.filter((f) => f.group)).map((g) => getAt(exampleFor(t, s).data, g.pointer));
    // One service shows all three: a group its example fills and a step of its own with uploads.
    const fitting = servicesOf(t).filter((s) => fileStep(s) !== undefined && rowsOf(s).some((rows) => Array.isArray(rows) && rows.length > 0));
    const service = fitting.find((s) => s.definition.id === 'wohnberechtigungsschein') ?? fitting[0];
    assert.ok(service, `${land} offers a service with a filled group and an upload step`);
    const id = service.definition.id;
    const uploads = fileStep(service)?.id ?? '';
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    for (const [width, height] of [[1280, 800], [375, 812]] as const) {
      const { tab, context } = await newTab({ viewport: { width, height }, axe: false });
      const page = tab.page;
      const shot = async (what: string) => {
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await page.locator(CHANGING).evaluateAll((els) => els.forEach((el) => el.remove()));
        await page.screenshot({ path: `${SCREENSHOT_DIR}/${id}-${land}-${what}-${width}.png`, fullPage: true });
      };
      try {
        await walk(tab, t, service, 'de', {
          errors: false,
          shoot: async (stage) => {
            if (stage === 'list') await shot('list');
            if (stage === 'check') {
              await tab.goto(`/${land}/${id}/${uploads}?zurueck=pruefen`, `${land} ${id}: the uploads step with its files (${width} px)`);
              assert.ok(await page.locator('ul.efa-files li.efa-file').count() > 0, `${land} ${id}: the uploads step lists the files uploaded`);
              // Issue 23, item 6: each file's "Entfernen" stands clear of its name and size, on one line.
              for (const file of await page.locator('ul.efa-files li.efa-file').all()) {
                const gap = await file.evaluate((li) => (li.querySelector('.efa-file__remove .kern-label')?.getBoundingClientRect().left ?? 0) - (li.querySelector('.kern-body--muted')?.getBoundingClientRect().right ?? Infinity));
                assert.ok(gap >= 0, `${land} ${id} (${width} px): "Entfernen" overlaps the file's size by ${-gap} px`);
                assert.ok(((await file.locator('.efa-file__remove').boundingBox())?.height ?? Infinity) < 60, `${land} ${id} (${width} px): "Entfernen" is one line high`);
              }
              await shot('upload');
              await tab.goto(`/${land}/${id}/pruefen`, `${land} ${id}: check page again (${width} px)`);
            }
            if (stage === 'confirmation') {
              // The reference is drawn at random and the time is now: fixed samples of the same shape, so a second run writes the same bytes.
              await page.locator('.efa-reference').evaluateAll((els, ref) => els.forEach((el) => { el.textContent = ref; }), `${land.toUpperCase()}-2026-7KQX-M4PT`);
              await page.locator('main dt', { hasText: t.ui.de.submittedAt }).locator('xpath=following-sibling::dd').evaluate((el, at) => { el.textContent = at; }, berlinDateTime('2026-12-08T09:15:00Z', 'de'));
              await shot('confirmation');
            }
          },
        });
      } finally {
        await context.close();
      }
    }
  });

  test('the Nu HTML Checker finds no error on any page served above', async () => {
    assert.ok(served.length > 50, `pages were collected (${served.length})`);
    const errors = await vnuErrors(served);
    assert.equal(errors.size, 0, `HTML errors on ${errors.size} of ${served.length} pages:\n${report(errors)}`);
  });
});
