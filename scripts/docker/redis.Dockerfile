# wharf-local/redis:7 — Debian's redis-server for database-on-docker tests, running as `redis`
# with its data in /data.
FROM wharf-local/debian:bookworm
# policy-rc.d: packages must not start their service during the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && install -d -o redis -g redis -m 0750 /data
USER redis
WORKDIR /data
EXPOSE 6379
# Without a config file redis listens on every interface; protected mode would then refuse every
# client from outside the container, as the official image's default config avoids too.
CMD ["redis-server", "--protected-mode", "no"]
