// Preloaded (node --import) into the processes the bench measures. Adds no work per request:
// - SIGUSR2 writes process.memoryUsage() to BENCH_PROBE_FILE (the heap as V8 sees it; RSS comes
//   from /proc), so efa serve and the bare server are read the same way.
// - With BENCH_CAPTURE_FILE set (only in the untimed capture run, never in a measured process),
//   every page template's name and context are written there, so the bare server renders the
//   same template with the same data.
import process from 'node:process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

const probeFile = process.env.BENCH_PROBE_FILE;
if (probeFile) process.on('SIGUSR2', () => writeFileSync(probeFile, JSON.stringify(process.memoryUsage())));

const captureFile = process.env.BENCH_CAPTURE_FILE;
if (captureFile) {
  const dir = join(process.env.EFA_ROOT ?? '.', 'forms', 'templates', 'pages');
  const names = new Map(readdirSync(dir).filter((f) => f.endsWith('.hbs')).map((f) => [readFileSync(join(dir, f), 'utf8'), f.slice(0, -4)]));
  const create = Handlebars.create.bind(Handlebars);
  Handlebars.create = () => {
    const env = create();
    const compile = env.compile.bind(env);
    env.compile = (source, options) => {
      const template = compile(source, options);
      const name = names.get(source);
      if (!name) return template;
      return (context, more) => {
        writeFileSync(captureFile, JSON.stringify({ name, context }));
        return template(context, more);
      };
    };
    return env;
  };
}
