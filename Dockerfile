# syntax=docker/dockerfile:1
# Exovoice: the gateway runs its TypeScript through tsx (a runtime dependency), so there is no build step; the
# build stage exists for better-sqlite3, which compiles natively when no prebuilt binary matches.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data \
    LOG_FORMAT=json \
    MALLOC_MMAP_THRESHOLD_=8192
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY agents ./agents
# The image's own `node` user (uid 1000); DATA_DIR holds the SQLite call records of a single node.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Liveness only (the process answers); load balancers should route on /ready, which turns 503 while draining.
# Node 20 has fetch built in, so the slim image needs no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains the live calls (DRAIN_TIMEOUT_MS): give the container at least that long to stop.
STOPSIGNAL SIGTERM
CMD ["node", "bin/exovoice.js", "serve"]
