// The peer: the DEFRA forms engine (@defra/forms-engine-plugin) as its own server assembles it
// (.server/server/index.js), with one change the issue asks for: sessions in memory (catbox-memory)
// instead of Redis. NODE_ENV=production, so nunjucks views are cached. Run with the scratch folder
// the bench installed the engine into as the working directory; the form is ./bench.json.
/* global console */
import process from 'node:process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// The engine's config refuses to load without these; none of them is used by the two pages measured.
for (const name of ['FEEDBACK_LINK', 'NOTIFY_TEMPLATE_ID', 'NOTIFY_API_KEY', 'MANAGER_URL', 'DESIGNER_URL', 'SUBMISSION_URL', 'UPLOADER_URL', 'REDIS_HOST', 'REDIS_USERNAME', 'REDIS_KEY_PREFIX']) {
  process.env[name] ??= name.endsWith('_URL') || name === 'FEEDBACK_LINK' ? 'http://127.0.0.1:9' : 'unused';
}
const base = join(process.cwd(), 'node_modules/@defra/forms-engine-plugin/.server');
const load = async (path) => import(pathToFileURL(join(base, path)).href);
const { Engine: CatboxMemory } = await import(pathToFileURL(join(process.cwd(), 'node_modules/@hapi/catbox-memory/lib/index.js')).href);
const hapi = (await import(pathToFileURL(join(process.cwd(), 'node_modules/@hapi/hapi/lib/index.js')).href)).default;
const inert = (await import(pathToFileURL(join(process.cwd(), 'node_modules/@hapi/inert/lib/index.js')).href)).default;
const Scooter = (await import(pathToFileURL(join(process.cwd(), 'node_modules/@hapi/scooter/lib/index.js')).href)).default;
const Schmervice = (await import(pathToFileURL(join(process.cwd(), 'node_modules/@hapipal/schmervice/lib/index.js')).href)).default;
const { requestLogger } = await load('server/common/helpers/logging/request-logger.js');
const { configureCrumbPlugin } = await load('server/plugins/crumb.js');
const { configureEnginePlugin } = await load('server/plugins/engine/index.js');
const { configureBlankiePlugin } = await load('server/plugins/blankie.js');
const pluginErrorPages = (await load('server/plugins/errorPages.js')).default;
const { plugin: pluginViews } = await load('server/plugins/nunjucks/index.js');
const pluginPulse = (await load('server/plugins/pulse.js')).default;
const pluginRouter = (await load('server/plugins/router.js')).default;
const pluginSession = (await load('server/plugins/session.js')).default;
const { CacheService } = await load('server/services/index.js');

const server = hapi.server({
  port: Number(process.env.PORT), host: '127.0.0.1',
  router: { stripTrailingSlash: true },
  routes: { validate: { options: { abortEarly: false } }, security: { hsts: { maxAge: 31536000, includeSubDomains: true, preload: false }, xss: 'enabled', noSniff: true, xframe: true } },
  cache: [{ name: 'session', engine: new CatboxMemory() }],
});
// hapi-pino: the engine depends on it; the bench turns its output off (LOG_ENABLED=false), as efa's LOG_LEVEL=warn.
await server.register(requestLogger);
await server.register(pluginSession);
await server.register(pluginPulse);
await server.register(inert);
await server.register(Scooter);
await server.register(configureBlankiePlugin());
await server.register(configureCrumbPlugin({}));
await server.register(Schmervice);
server.registerService(CacheService);
server.ext('onPreResponse', (request, h) => {
  if ('isBoom' in request.response) return h.continue;
  request.response.header('cache-control', 'no-store');
  return h.continue;
});
await server.register(pluginViews);
// The start and summary pages ask the forms manager for the form's notification address; the
// bench has no manager, so that one call is answered locally (with an address: no warning banner).
const defaults = await load('server/plugins/engine/services/index.js');
const formsService = { ...defaults.formsService, getFormMetadata: async (slug) => ({ id: 'bench', slug, title: 'Bench', notificationEmail: 'bench@example.org', live: { updatedAt: new Date(0) } }) };
await server.register(await configureEnginePlugin({ formFileName: 'bench.json', formFilePath: process.cwd(), services: { ...defaults, formsService } }));
await server.register(pluginRouter);
await server.register(pluginErrorPages);
await server.start();
console.log('defra: listening');
