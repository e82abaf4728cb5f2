# The Varco gateway. Build stage: every dependency, TypeScript compiled to dist/. Runtime stage: production
# dependencies only, the compiled code and the files it reads at run time, as the unprivileged "node" user.
# Node 22 LTS: oidc-provider supports only current LTS releases.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# typescript is a devDependency and an optional peer of i18next: npm marks it devOptional and --omit=dev
# keeps it (24 MB, tsc and tsserver). Nothing loads it at run time.
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read at run time, relative to /app: page templates, translations, settings and seed data, identity
# provider data (public metadata only, never keys), static files.
COPY views ./views
COPY locales ./locales
COPY config ./config
COPY providers ./providers
COPY public ./public
USER node
EXPOSE 3000
# Liveness only; /ready (Redis, identity providers) is for the load balancer.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# server.ts stops on SIGTERM: stops accepting, lets requests in flight finish, closes Redis.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server.js"]
