import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig, type Config } from '../config/env.js';
import { EfaError } from '../core/errors.js';

const program = new Command('efa').description('efa-runtime: EfA online services from form to authority').showHelpAfterError();

/** Every command fails the same way: one line with the stable code and what to fix, exit code 1. */
function fail(err: unknown): never {
  if (err instanceof EfaError) console.error(`efa: ${err.code}: ${err.message}`);
  else console.error(`efa: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}

function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    fail(err);
  }
}

program.command('start')
  .description('everything in one process on embedded defaults: API, in-process delivery, demo receiver (PGlite unless DATABASE_URL)')
  .action(async () => {
    const { startEmbedded } = await import('./start.js');
    await startEmbedded(config()).catch(fail);
  });

program.command('serve')
  .description('the HTTP API only (stateless; run many behind a load balancer). Delivers in-process unless REDIS_URL is set')
  .action(async () => {
    const { startServe } = await import('./start.js');
    await startServe(config()).catch(fail);
  });

program.command('worker')
  .description('deliver submissions from the Redis queue (BullMQ) and relay the outbox into it; needs REDIS_URL and DATABASE_URL; run as many as needed')
  .option('--concurrency <n>', 'deliveries at once in this process (default EFA_WORKER_CONCURRENCY or 10)')
  .action(async (opts: { concurrency?: string }) => {
    const { startWorker } = await import('./worker.js');
    const cfg = config();
    if (opts.concurrency !== undefined) {
      const n = Number(opts.concurrency);
      if (!Number.isInteger(n) || n < 1 || n > 1000) fail(new EfaError('EFA_USAGE', `--concurrency ${opts.concurrency} must be a whole number 1..1000`));
      cfg.delivery.concurrency = n;
    }
    await startWorker(cfg).catch(fail);
  });

program.command('check')
  .description('load and validate every service, form, tenant and routing file and what they refer to; check examples, generated types and the places index; lists every problem')
  .action(async () => {
    const cfg = config();
    try {
      const { checkProject, formatProblems } = await import('../check.js');
      const report = await checkProject(cfg.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001', ...process.env });
      for (const note of report.notes) console.warn(`efa check: ${note}`);
      if (report.problems.length > 0) {
        // One line per problem (code, file, JSON path, what to fix); the exit code says it failed.
        console.error(`efa: EFA_DECLARATION_INVALID: ${formatProblems(report.problems)}`);
        process.exit(1);
      }
      const c = report.counts;
      console.log(`ok: ${c.services} services, ${c.forms} forms, ${c.tenants} tenants, ${c.authorities} authorities, ${c.responsibilities} responsibilities, ${c.directory} directory entries`);
    } catch (err) {
      fail(err);
    }
  });

program.command('preview')
  .description('render a page of a service in a tenant\'s look with the service\'s sample data (services/<id>/examples.json); HTML to stdout or --out')
  .option('--tenant <id>', 'tenant (Land), e.g. by')
  .option('--service <id>', 'service; default: the tenant\'s first')
  .option('--step <page>', 'home, start, a step id, pruefen, bestaetigung, status, impressum, datenschutz, barrierefreiheit or kontakt (default: start)')
  .option('--lang <lang>', 'de or en (default: de; with --all: every language)')
  .option('--example <id>', 'sample from examples.json; default: the first that shows the page')
  .option('--errors', 'show the step as if it was posted empty, with every error message')
  .option('--standalone', 'inline stylesheets and logo (default with --out)')
  .option('--out <path>', 'write to this file (or, with --all, this folder)')
  .option('--all', 'every page of every service (of --tenant, or of all tenants) in every language, into --out')
  .option('--list', 'list tenants, services, pages and examples')
  .option('--texts', 'list the text keys a tenant can override in "texts", with the current text (of --tenant)')
  .action(async (opts: import('./preview.js').PreviewOptions) => {
    const { runPreview } = await import('./preview.js');
    await runPreview(config(), opts).catch(fail);
  });

const create = program.command('new').description('create the files of something new to author');
create.command('service')
  .description('write a working service scaffold (service, schema, types, logic with one rule, examples, a logic test, form, routing stub), offered by no Land yet')
  .argument('<id>', 'service id, a slug: a-z 0-9 -, e.g. fischereischein')
  .option('--leika <key>', '14-digit LeiKa key (default: a placeholder starting with 00)')
  .option('--lead <land>', 'tenant id of the lead Land (default: the first tenant)')
  .option('--title <de>', 'German title (default: from the id)')
  .option('--title-en <en>', 'English title')
  .option('--root <dir>', 'project root (default: EFA_ROOT or .)')
  .option('--from-fim <export>', 'start from a FIM export (ZIP, folder or XDatenfelder file): its schema, form draft, code lists and notes instead of the default (docs/fim.md)')
  .action(async (id: string, opts: { leika?: string; lead?: string; title?: string; titleEn?: string; root?: string; fromFim?: string }) => {
    // Generating types needs json-schema-to-typescript, a development dependency: load it only here.
    const { scaffoldService, describeResult } = await import('../authoring/scaffold.js').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_MODULE_NOT_FOUND') fail(new EfaError('EFA_USAGE', 'efa new service generates types with json-schema-to-typescript, a development dependency: run it in a checkout after npm ci, not in the production image'));
      throw err;
    });
    const root = opts.root ?? config().root;
    try {
      const fimModule = opts.fromFim ? await import('../authoring/fim/index.js') : undefined;
      const fim = fimModule && opts.fromFim ? fimModule.importFimFile(opts.fromFim, { serviceId: id, root }) : undefined;
      const title = opts.title ? { de: opts.title, ...(opts.titleEn ? { en: opts.titleEn } : {}) } : fim ? { de: fim.source.name } : undefined;
      const imported = fim && fimModule ? { schema: fim.schema, form: fim.form, files: fimModule.importFiles(fim), checks: fim.checks, codeLists: fimModule.importedCodeLists(root, fim) } : {};
      const result = await scaffoldService({ root, id, leikaKey: opts.leika, leadLand: opts.lead, title, ...imported });
      console.log(describeResult(result, root));
      if (fim) {
        const { describeUnsupported } = await import('./import-fim.js');
        console.log(describeUnsupported(fim));
      }
    } catch (err) {
      fail(err);
    }
  });

program.command('gen-types')
  .description('generate services/<id>/types.gen.ts from each schema.json (json-schema-to-typescript)')
  .action(async () => {
    const { generateTypes, TYPES_FILE } = await import('../services/types-gen.js');
    const { readdirSync } = await import('node:fs');
    const dir = resolve(config().root, 'services');
    for (const id of readdirSync(dir)) {
      if (!existsSync(join(dir, id, 'schema.json'))) continue;
      writeFileSync(join(dir, id, TYPES_FILE), await generateTypes(join(dir, id)));
      console.log(`wrote services/${id}/${TYPES_FILE}`);
    }
  });

program.command('gen-places')
  .description('write routing/reference/places.index.json, the compact postal code index startup reads, from the CSVs beside it')
  .action(async () => {
    const { PlaceIndex, PLACES_INDEX_FILE } = await import('../places/places.js');
    const root = resolve(config().root);
    writeFileSync(join(root, 'routing', 'reference', PLACES_INDEX_FILE), PlaceIndex.buildIndexText(root));
    console.log(`wrote routing/reference/${PLACES_INDEX_FILE}`);
  });

program.command('import-fim')
  .description('turn a FIM export (XDatenfelder 2 or 3, Stammdatenschema or Datenfeldgruppe, with its code lists) into a first draft of services/<id>/schema.json and forms/<id>.form.json, installing the code lists; lists what it cannot map (docs/fim.md)')
  .argument('<export>', 'the export: a ZIP, a folder, or the XDatenfelder XML file')
  .option('--service <id>', 'service id (folder and URL name); default: made from the FIM label')
  .option('--out <dir>', 'project root to write into (default: EFA_ROOT or the current folder); its codelists/ are matched')
  .option('--force', 'overwrite files the import would write')
  .action(async (file: string, opts: { service?: string; out?: string; force?: boolean }) => {
    const { runImportFim } = await import('./import-fim.js');
    try {
      runImportFim(file, { ...opts, root: opts.out ?? config().root });
    } catch (err) {
      fail(err);
    }
  });

program.command('keys')
  .description('print a new Ed25519 signing key for EFA_SIGNING_KEY, or with --authority an RSA-4096 key pair for an authority')
  .option('--authority', 'generate an authority\'s encryption and signing key pairs instead')
  .action(async (opts: { authority?: boolean }) => {
    const keys = await import('../crypto/keys.js');
    if (opts.authority) {
      const [enc, sig] = [await keys.generateEncryptionKeyPair(4096), await keys.generateSigningKeyPair()];
      console.log(JSON.stringify({ public: { encryptionKey: enc.publicJwk, verificationKey: sig.publicJwk }, private: { decryptionKey: enc.privateJwk, signingKey: sig.privateJwk } }, null, 2));
    } else {
      console.log(JSON.stringify((await keys.generateSigningKeyPair()).privateJwk));
    }
  });

program.command('api-client')
  .description('create credentials for an admin or authority API client: prints the secret once and the entry for the EFA_API_CLIENTS file')
  .argument('<id>', 'client id, e.g. ops-team or stadt-koeln-pull')
  .requiredOption('--scopes <list>', 'comma-separated scopes: deliveries:read, deliveries:write, routing:read, routing:write, metrics:read, submissions:pull, payments:read')
  .option('--authority <id>', 'the authority an authority client (submissions:pull) acts for')
  .action(async (id: string, opts: { scopes: string; authority?: string }) => {
    const { SCOPES, hashSecret, newSecret } = await import('../auth/clients.js');
    const scopes = opts.scopes.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) fail(new EfaError('EFA_USAGE', `unknown scope(s): ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`));
    if (scopes.includes('submissions:pull') && !opts.authority) fail(new EfaError('EFA_USAGE', 'scope submissions:pull needs --authority <id>'));
    if (!/^[a-z0-9][a-z0-9._-]{1,62}$/.test(id)) fail(new EfaError('EFA_USAGE', `client id "${id}" must be 2-63 of a-z 0-9 . _ - (starting with a letter or digit)`));
    const secret = newSecret();
    console.log(`client_id:     ${id}\nclient_secret: ${secret}   (shown once; store it in the client's secret store)\n\nadd to the "clients" array of the EFA_API_CLIENTS file:`);
    console.log(JSON.stringify({ id, secretSha256: hashSecret(secret), scopes, ...(opts.authority ? { authority: opts.authority } : {}) }, null, 2));
  });

// efa deliveries …: list, show, redeliver (src/cli/deliveries.ts).
program.addCommand((await import('./deliveries.js')).deliveriesCommand({ config, fail }));
// efa routing …: check, import, export, versions, restore, resolve, generate-nationwide (src/cli/routing.ts).
program.addCommand((await import('./routing.js')).routingCommand({ config, fail }));

await program.parseAsync(process.argv);
