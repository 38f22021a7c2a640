# syntax=docker/dockerfile:1
# Portcullis container image. Two stages: `build` compiles the TypeScript with every dependency;
# `runtime` holds the compiled gateway and the production dependencies only, runs as a non-root
# user (uid 10001) and writes nowhere but /var/lib/portcullis (its data folder: mount a volume) and
# /tmp, so it runs with a read-only root filesystem. The config is read from
# /etc/portcullis/portcullis.yaml (mount it, e.g. from a ConfigMap); secrets come from the
# environment (`${env:NAME}` in the config). See docs/operations.md.
#
# Checked here without docker (no base image can be pulled on the project's machines):
# test/dockerfile.test.ts lints this file and checks the rules above; scripts/docker-steps.mjs
# (run by .ci/run) runs its RUN steps as a script in a temporary folder and starts the result as
# a non-root user.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# The npm cache is a build cache mount: it never lands in the image.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/console ./dist/console
COPY schema ./schema
COPY examples ./examples
# The gateway's user owns only its data folder; the code stays root-owned, read-only to it.
RUN groupadd --system --gid 10001 portcullis \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/portcullis --no-create-home --shell /usr/sbin/nologin portcullis \
 && mkdir -p /var/lib/portcullis /etc/portcullis \
 && chown 10001:10001 /var/lib/portcullis
ENV HOME=/var/lib/portcullis
USER 10001:10001
# 8080: the client listener of the example config; 9902: the probe listener (/healthz, /readyz).
# The admin listener (9901) stays on loopback inside the container.
EXPOSE 8080 9902
VOLUME ["/var/lib/portcullis"]
# No curl in a slim image: Node's fetch asks the probe listener (probes.enabled: true in the config).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9902/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# No core dumps (ulimit -c 0, soft and hard, before node starts) and no heap-snapshot, inspector or
# report flags (`portcullis start` refuses them with NODE_ENV=production): a copy of the process's
# memory holds the vault's decrypted secrets and the KEK (docs/vault.md#values-never-leave-by-accident).
ENTRYPOINT ["/bin/sh", "-c", "ulimit -c 0 && exec node \"$@\"", "portcullis", "/app/dist/src/cli/main.js"]
CMD ["start", "--config", "/etc/portcullis/portcullis.yaml"]
