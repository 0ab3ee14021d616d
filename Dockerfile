# syntax=docker/dockerfile:1
# Orch as a container: `orch serve` on port 8500, state in the /data volume, as uid 10001.
#   docker build --build-arg REVISION="$(git rev-parse HEAD)" -t orch .
# Orch's own machines have no Docker engine, so this file is not built in CI; it is kept minimal
# and conventional, and test/deploy/deploy-files.test.ts checks it statically.
# docs/operations.md "Running as a service".

# Secret and dependency scanners the security gate runs when they are on the PATH
# (docs/config.md "Security gate"). Neither is a Debian package; their official images carry
# static binaries. gitleaks 8.18 is the version Orch's scanner fixtures come from.
FROM zricethezav/gitleaks:v8.18.4 AS gitleaks
FROM ghcr.io/google/osv-scanner:v1.9.2 AS osv-scanner

FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the rebuild runs
# better-sqlite3's own install step.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ARG REVISION=unknown
# Agent CLIs to install, e.g. "@anthropic-ai/claude-code@2.1.197 @openai/codex@0.171.0" (the
# versions Orch's conformance tests run are its devDependencies). Empty: remote agents only.
ARG AGENT_CLIS=""
ARG APP_UID=10001
LABEL org.opencontainers.image.title="orch" \
  org.opencontainers.image.description="Orchestrator for AI coding agents" \
  org.opencontainers.image.revision=$REVISION

# git for worktrees, ssh for git remotes; pnpm through corepack for `pnpm audit` (npm and yarn
# come with the image). pip-audit is optional and not installed (Python repositories only).
RUN apt-get update \
  && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && corepack enable pnpm \
  && if [ -n "$AGENT_CLIS" ]; then npm install -g $AGENT_CLIS && npm cache clean --force; fi \
  && groupadd --gid "$APP_UID" orch \
  && useradd --uid "$APP_UID" --gid orch --create-home --shell /usr/sbin/nologin orch \
  && mkdir /data && chown orch:orch /data
COPY --from=gitleaks /usr/bin/gitleaks /usr/local/bin/gitleaks
COPY --from=osv-scanner /osv-scanner /usr/local/bin/osv-scanner

WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/web ./web
RUN chmod 755 bin/orch.js && ln -s /app/bin/orch.js /usr/local/bin/orch

ENV ORCH_HOST=0.0.0.0 \
  ORCH_PORT=8500 \
  ORCH_DATA_DIR=/data \
  ORCH_DB_URL=sqlite:/data/orch.db \
  COREPACK_ENABLE_DOWNLOAD_PROMPT=0
VOLUME /data
EXPOSE 8500
USER orch
WORKDIR /data

# Liveness only (GET /health touches no store and needs no token or Host allowlist entry).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ORCH_PORT||8500)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# SIGTERM stops Orch within 30 s (docs/operations.md "Running"): run with `--stop-timeout 40`
# (Docker's default is 10 s) and `--init`, which reaps the detached processes Orch starts.
CMD ["orch", "serve"]
