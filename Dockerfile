# syntax=docker/dockerfile:1
# dmbot: docker build -t dmbot:local .   then see docs/DOCKER.md (or use docker-compose.yml).
# No secret is baked in: the token and passwords come from the environment at run time.

# Pin the base by digest, the tag kept in this comment: python:3.11-slim.
# TODO(pin-digest): the digest could not be looked up where this was written (no registry access). An admin runs
#   docker buildx imagetools inspect python:3.11-slim --format '{{json .Manifest.Digest}}'
# and sets PYTHON_IMAGE=python:3.11-slim@sha256:<that digest> here (and the same for docker-compose.yml).
ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: the runtime dependencies from the hashed lock, then dmbot itself, in a venv ---------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The lock alone first, so this layer is reused until the dependencies change.
COPY requirements.runtime.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.runtime.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY persistence ./persistence
RUN pip install --no-cache-dir --no-deps . && dmbot --help > /dev/null

# --- runtime: slim, the venv only, a non-root user ------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="dmbot" \
      org.opencontainers.image.description="A Discord dungeon master for D&D 5e (SRD 5.1)" \
      org.opencontainers.image.licenses="MIT"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HEALTH_HOST=0.0.0.0 \
    HEALTH_PORT=8080
RUN groupadd --system --gid 10001 dmbot \
    && useradd --system --uid 10001 --gid dmbot --home-dir /app --no-create-home --shell /usr/sbin/nologin dmbot \
    && mkdir -p /app/data \
    && chown -R dmbot:dmbot /app
COPY --from=builder /opt/venv /opt/venv
COPY NOTICE /app/NOTICE
WORKDIR /app
USER 10001:10001
# The health sidecar (/live /ready /health /metrics). Publish it to localhost only.
EXPOSE 8080
# Without Postgres, the embedded SQLite lives in /app/data: mount a volume there to keep it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HEALTH_PORT', '8080') + '/live', timeout=4)"]
ENTRYPOINT ["dmbot"]
CMD ["run"]
