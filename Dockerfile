# driftwatch agent and collector image (docs/deploy.md#container).
# Build:  docker build -t driftwatch .
# Run:    docker run --read-only -v dw-state:/var/lib/driftwatch -v $PWD/config:/etc/driftwatch:ro driftwatch
#         (the collector: ... driftwatch collector --config /etc/driftwatch/collector.yaml)

# 1. Build: compile TypeScript, then keep only production dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY agent ./agent
COPY collector ./collector
COPY shared ./shared
COPY cli ./cli
COPY scripts/bundle-cli.ts ./scripts/
RUN npm run build && npm prune --omit=dev --ignore-scripts

# 2. Run: the compiled program and its production dependencies, as an unprivileged user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    DRIFTWATCH_STATE__PATH=/var/lib/driftwatch/agent.db
WORKDIR /opt/driftwatch
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# State (SQLite) lives on a volume: the root filesystem can be read-only.
RUN mkdir -p /var/lib/driftwatch && chown 10001:10001 /var/lib/driftwatch
VOLUME ["/var/lib/driftwatch"]
USER 10001:10001
EXPOSE 4390 4318
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/opt/driftwatch/dist/cli/main.js", "health", "--url", "http://127.0.0.1:4390"]
ENTRYPOINT ["node", "/opt/driftwatch/dist/cli/main.js"]
CMD ["agent", "--config", "/etc/driftwatch/driftwatch.yaml"]
