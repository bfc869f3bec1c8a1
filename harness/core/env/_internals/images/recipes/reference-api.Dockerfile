# The reference API image without a registry: the same app as reference-api/Dockerfile, on the
# Debian rootfs that `fleetbed images build` imports as BASE, with the Node binary that runs the
# harness (same glibc) and the node_modules that `npm ci` installed from
# reference-api/package-lock.json in the build context. No RUN step: the legacy builder needs no
# network. The API listens on 127.0.0.1:$PORT (the containers run with host networking).
ARG BASE
FROM ${BASE}
COPY node /usr/local/bin/node
WORKDIR /app
COPY app/ ./
ENV NODE_ENV=production \
    HOST=127.0.0.1 \
    PORT=8080
EXPOSE 8080
USER 65534:65534
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "reference-api/src/server.ts"]
