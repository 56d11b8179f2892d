# syntax=docker/dockerfile:1
# One image, two entrypoints: `node controller/dist/main.js` (default) and `node speaker/dist/main.js`.
# The chart selects the speaker with `command`/`args`. Build: docker build -t ironlb:dev .

ARG NODE_VERSION=24.21.0
ARG PNPM_VERSION=12.21.0
# Base images of the two stages. The lab builds without a registry and passes its own (test/lab/scripts/build-images.sh).
ARG BUILD_IMAGE=node:${NODE_VERSION}-bookworm
ARG RUNTIME_IMAGE=node:${NODE_VERSION}-bookworm-slim

FROM ${BUILD_IMAGE} AS build
ARG PNPM_VERSION
RUN npm install -g pnpm@${PNPM_VERSION}
WORKDIR /src
# Manifests first so the dependency layer is cached across source edits.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json tsconfig.json ./
COPY shared/package.json shared/
COPY controller/package.json controller/
COPY speaker/package.json speaker/
COPY packet-socket/package.json packet-socket/binding.gyp packet-socket/
COPY packet-socket/native packet-socket/native
COPY cli/package.json cli/
COPY test/package.json test/
COPY bench/package.json bench/
RUN pnpm install --frozen-lockfile
COPY shared shared
COPY controller controller
COPY speaker speaker
COPY packet-socket packet-socket
COPY cli cli
# Build, then replace node_modules with production dependencies only. --ignore-scripts keeps the
# already-compiled addon in packet-socket/build instead of rebuilding it.
RUN pnpm build \
 && rm -rf node_modules */node_modules \
 && CI=true pnpm install --prod --frozen-lockfile --ignore-scripts \
 && rm -rf */src */tsconfig*.json packet-socket/build/Release/obj.target

FROM ${RUNTIME_IMAGE} AS runtime
ARG VERSION=dev
# BGP mode: the speaker applies frr.conf with FRR's client tools (vtysh, frr-reload.py and python3) over the
# sockets of the frr sidecar (chart value bgp.enabled). "none" leaves them out (L2 only, about 70 MB smaller).
ARG FRR_CLIENT=apt
RUN if [ "$FRR_CLIENT" = apt ]; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends frr frr-pythontools \
      && rm -rf /var/lib/apt/lists/*; \
    fi
LABEL org.opencontainers.image.title="ironlb" \
      org.opencontainers.image.description="Bare-metal Kubernetes LoadBalancer: IP allocation and L2 (ARP/NDP) announcements" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://example.invalid/ironlb"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src /app
# 65534 = nobody. The speaker needs only CAP_NET_RAW, granted by the chart's securityContext.
USER 65534:65534
ENTRYPOINT ["node"]
CMD ["controller/dist/main.js"]
