# wharf-local/python:3.11 — Debian's Python 3.11 with pip and venv. Debian's pip (also the one
# venvs get) uses the system CA store, which holds the host's CAs the base copied in.
# python-is-python3 gives `python`, which apps' start commands call.
FROM wharf-local/debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-pip python3-venv python-is-python3 \
 && rm -rf /var/lib/apt/lists/*
CMD ["python3"]
