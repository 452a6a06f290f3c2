# wharf-local/postgres:15 — Debian's postgresql-15 for database-on-docker tests (no registry here).
# No cluster is created at build time (create_main_cluster = false, as the official image does):
# PGDATA starts empty and whoever runs the image runs initdb first. The servers' binaries are on
# PATH and the image runs as `postgres`, which Postgres requires.
FROM wharf-local/debian:bookworm
# policy-rc.d: packages must not start their service during the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-common \
 && sed -ri 's/#(create_main_cluster) .*$/\1 = false/' /etc/postgresql-common/createcluster.conf \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data \
 && install -d -o postgres -g postgres -m 2775 /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
# Listen on the container's interfaces (initdb's default is localhost only).
CMD ["postgres", "-c", "listen_addresses=*"]
