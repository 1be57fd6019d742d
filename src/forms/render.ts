import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

export interface Renderer {
  /** Renders a page inside the layout. `context` must carry everything the layout needs. */
  page(name: string, context: Record<string, unknown>): string;
}

/**
 * Compiles forms/templates once at startup: layout.hbs, pages/*.hbs and partials/*.hbs (KERN UX
 * markup). Handlebars escapes every value, so answers and texts cannot inject markup.
 */
export function createRenderer(root: string): Renderer {
  const dir = join(root, 'forms', 'templates');
  const hbs = Handlebars.create();
  for (const file of readdirSync(join(dir, 'partials'))) {
    if (file.endsWith('.hbs')) hbs.registerPartial(file.slice(0, -4), readFileSync(join(dir, 'partials', file), 'utf8'));
  }
  const compile = (file: string) => hbs.compile(readFileSync(file, 'utf8'), { strict: false, preventIndent: true });
  const layout = compile(join(dir, 'layout.hbs'));
  const pages = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of readdirSync(join(dir, 'pages'))) {
    if (file.endsWith('.hbs')) pages.set(file.slice(0, -4), compile(join(dir, 'pages', file)));
  }
  return {
    page(name, context) {
      const template = pages.get(name);
      if (!template) throw new Error(`no template pages/${name}.hbs`);
      return layout({ ...context, body: template(context) });
    },
  };
}
