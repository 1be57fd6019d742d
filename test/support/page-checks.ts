/**
 * Accessibility and HTML checks for pages shown in a real browser: Debian's Chromium driven by
 * playwright-core (nothing downloads a browser), axe-core injected into each page, and the Nu HTML
 * Checker (vnu-jar, Java) run once over every collected page.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const VNU_JAR = require.resolve('vnu-jar/build/dist/vnu.jar');

/** WCAG 2.2 AA as axe-core tags it (the BITV 2.0 / EN 301 549 level for public bodies). */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export const CHROMIUM = process.env.EFA_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** axe-core's WCAG 2.2 AA violations on the page as shown, one line each (rule, help, where). */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, not as a page script: the page's CSP stays as served.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    type Result = { violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown[] }> }> };
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<Result> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}${v.nodes.length > 3 ? '; …' : ''})`);
  }, AXE_TAGS);
}

export interface HtmlPage {
  /** What the page is, for the failure message (e.g. "sh gewerbeanmeldung: anschrift posted empty"). */
  name: string;
  html: string;
}

/**
 * The Nu HTML Checker's errors per page (warnings are left out), from one JVM for all pages.
 * Pages without errors are absent from the result.
 */
export async function vnuErrors(pages: HtmlPage[]): Promise<Map<string, string[]>> {
  const dir = mkdtempSync(join(tmpdir(), 'efa-vnu-'));
  try {
    const files = pages.map((p, i) => {
      const file = join(dir, `page-${String(i).padStart(4, '0')}.html`);
      writeFileSync(file, p.html);
      return file;
    });
    const output = await new Promise<string>((resolve, reject) => {
      execFile('java', ['-Xss1m', '-jar', VNU_JAR, '--format', 'json', '--errors-only', '--stdout', ...files], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        // Exit status 1 means "errors found"; anything without JSON output is the checker failing.
        if (stdout.trim().startsWith('{')) resolve(stdout);
        else reject(new Error(`vnu did not run: ${err?.message ?? ''} ${stderr}`));
      });
    });
    const { messages } = JSON.parse(output) as { messages: Array<{ type: string; url?: string; message: string; lastLine?: number; extract?: string }> };
    const byPage = new Map<string, string[]>();
    for (const m of messages) {
      if (m.type !== 'error' && m.type !== 'non-document-error') continue;
      const index = Number(/page-(\d+)\.html$/.exec(m.url ?? '')?.[1] ?? NaN);
      const name = pages[index]?.name ?? m.url ?? 'vnu';
      byPage.set(name, [...(byPage.get(name) ?? []), `line ${m.lastLine ?? '?'}: ${m.message}${m.extract ? ` ‹${m.extract.trim().slice(0, 120)}›` : ''}`]);
    }
    return byPage;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A report of problems by page, for an assertion message; empty when there are none. */
export function report(problems: Map<string, string[]>): string {
  return [...problems].map(([name, list]) => `${name}:\n  ${list.join('\n  ')}`).join('\n');
}
