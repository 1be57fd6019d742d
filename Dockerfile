# syntax=docker/dockerfile:1
# Build stage: install from the lockfile, type-check, compile to JavaScript (dist/), drop dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` (the embedded database template) needs the sources,
# which come next; the image runs PostgreSQL, not the embedded database, so the template is dropped.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
# src/demo/ (local receivers, demo keys, demo data) is for development only: no production module imports it.
RUN npx tsc --noEmit -p tsconfig.json && npm run build && npm prune --omit=dev && rm -rf node_modules/.cache/efa dist/src/demo

# Runtime stage: production dependencies and the compiled code (no TypeScript loader), as a non-root user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/data EFA_RECEIVER_PORT=0
# A heap that fits a 512 MB container (docs/operations.md#sizing): V8's default on a large host lets
# the heap, above all the young generation (64 MB semi-spaces), grow to gigabytes before collecting.
ENV NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=16"
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/services ./services
COPY --from=build /app/forms ./forms
COPY --from=build /app/tenants ./tenants
COPY --from=build /app/routing ./routing
COPY --from=build /app/codelists ./codelists
# The service logic runs from dist/services/; its TypeScript sources stay out of the image.
RUN mkdir -p /data && chown node:node /data && rm -rf routing/demo-private && find services -name '*.ts' -delete
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/_efa/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# `serve` is the stateless API; every replica also drains the outbox (leases, SKIP LOCKED) unless REDIS_URL is set.
ENTRYPOINT ["node", "bin/efa.js"]
CMD ["serve"]
