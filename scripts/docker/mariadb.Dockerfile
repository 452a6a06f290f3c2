# wharf-local/mariadb:10.11 — Debian's mariadb-server for database-on-docker tests, running as
# `mysql`. The data folder the package initialised is emptied (like PGDATA in the postgres image):
# whoever runs the image runs mariadb-install-db first, into /var/lib/mysql or its own volume.
FROM wharf-local/debian:bookworm
# policy-rc.d: packages must not start their service during the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && find /var/lib/mysql -mindepth 1 -delete \
 && install -d -o mysql -g mysql -m 0755 /run/mysqld
USER mysql
EXPOSE 3306
# Listen on the container's interfaces (Debian's config binds 127.0.0.1).
CMD ["mariadbd", "--bind-address=0.0.0.0"]
