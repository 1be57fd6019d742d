import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig, type Config } from '../config/env.js';
import { EfaError } from '../core/errors.js';
import { loadDeclarations } from '../runtime.js';

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

program.command('check')
  .description('load and validate every service, form, tenant and routing file; check generated types are current')
  .action(async () => {
    const cfg = config();
    try {
      const d = await loadDeclarations(cfg.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001', ...process.env });
      const { generateTypes, TYPES_FILE } = await import('../services/types-gen.js');
      for (const service of d.services.values()) {
        const file = join(service.dir, TYPES_FILE);
        const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
        if (current !== (await generateTypes(service.dir))) throw new EfaError('EFA_TYPES_OUTDATED', `${file} is not generated from the current schema.json: run npm run gen:types`);
      }
      console.log(`ok: ${d.services.size} services, ${d.forms.size} forms, ${d.tenants.size} tenants, ${d.routing.authorities.size} authorities, ${d.routing.responsibility.size} responsibilities, ${d.routing.directory.size} directory entries`);
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

await program.parseAsync(process.argv);
