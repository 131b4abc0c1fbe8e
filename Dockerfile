# syntax=docker/dockerfile:1
# wxlog: exports WeChat realtime logs into SQLite on a schedule.
#   docker build -t wxlog .
#   docker run -d --name wxlog -e WXLOG_APPID=wx… --env-file wxlog.env -v wxlog-data:/data wxlog
# The default command is `daemon` (WXLOG_SCHEDULE, every 10 minutes); `docker run … wxlog run` does one
# pass and exits, `docker run --rm -v wxlog-data:/data wxlog status` reports coverage.

# A Node LTS line that better-sqlite3 12 supports (20.x to 26.x) and that satisfies package.json's
# engines (>=20.19.0).
ARG NODE_IMAGE=node:22-bookworm-slim

# --- TypeScript → dist/ (esbuild bundles the CLI, scripts/bundle.ts) ----------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` would run the build before the sources are here, and the bundler needs no native module
# (esbuild's binary comes in its platform package): install without scripts, then build explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# --- production node_modules, better-sqlite3 compiled for this image's Node ----------------------------
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev leaves out tsc, so `prepare` must not run; better-sqlite3's own install script (a prebuilt
# binary, else node-gyp with the tools above) is then run on its own.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force

# --- the image that runs -------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    WXLOG_DB=/data/wxlog.db
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# migrations/ must sit beside dist/: the code finds migrations/sqlite at ../../migrations/sqlite from dist/cli/.
COPY migrations ./migrations
COPY config ./config
COPY package.json ./
# The volume is created from this folder, so a named volume starts out owned by `node`.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
# SIGTERM (docker stop, a Kubernetes eviction) lets wxlog finish the page in hand and exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["daemon"]
