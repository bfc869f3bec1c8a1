# fleetbed's PostgreSQL image without a registry: `fleetbed images build` imports a Debian rootfs
# (debootstrap --include=postgresql-15) as BASE and builds this on it. No RUN step: the legacy
# builder needs no network. Same interface as the public postgres image (see the entry point).
ARG BASE
FROM ${BASE}
COPY postgres-entrypoint.sh /usr/local/bin/fleetbed-postgres-entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
USER postgres
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/fleetbed-postgres-entrypoint"]
CMD ["postgres"]
