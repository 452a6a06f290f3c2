# wharf-local/node:20 — the host's own Node 20 and npm on the local Debian base (DOCKER-LAB §1.2):
# seconds to build, where Debian's nodejs + npm packages take a minute and give Node 18.
# The build context (prepared by build-base-images.sh) holds `node` (the host's /usr/bin/node)
# and `npm` (the host's /usr/lib/node_modules/npm).
FROM wharf-local/debian:bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
# `node` (uid 1000) as in the official node images, so apps and tests can run as non-root.
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && useradd --uid 1000 --user-group --create-home --shell /bin/bash node
# This node binary (nodesource) trusts only its bundled CA list; the system store holds the
# host's CAs that the base image copied in (a TLS-re-signing proxy's too).
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
