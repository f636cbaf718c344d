# syntax=docker/dockerfile:1
# Jaring's one image: `jaring worker` by default; `jaring api`, `jaring dashboard` and
# `jaring topics create` are the same image with another command (docker-compose.yml).
#
# Two stages: the builder turns Jaring and every dependency into wheels, pinned by
# constraints.txt (the exact set CI tests); the runtime installs those wheels offline into
# a slim Python with no compiler, and runs as an unprivileged user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
# A compiler only here, for any dependency that ships no wheel for this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY models ./models
COPY infra ./infra
COPY streams ./streams
COPY jaring ./jaring
COPY api ./api
COPY dashboard ./dashboard
COPY deploy ./deploy
COPY benchmarks ./benchmarks
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt .

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    JARING_DATA_DIR=/var/lib/jaring/data \
    JARING_API_KEYS_FILE=/var/lib/jaring/keys/api-keys.json
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/jaring --create-home jaring \
 && install -d -o jaring -g jaring /var/lib/jaring/data /var/lib/jaring/keys
COPY --from=builder /wheels /tmp/wheels
COPY constraints.txt /tmp/constraints.txt
RUN pip install --no-index --find-links=/tmp/wheels -c /tmp/constraints.txt jaring \
 && rm -rf /tmp/wheels /tmp/constraints.txt
USER jaring
WORKDIR /var/lib/jaring
# Worker web views and metrics, the sponsor API, the dashboard.
EXPOSE 6066 8080 6070
# For the default command; compose gives the API and the dashboard their own check.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["jaring", "health", "worker"]
ENTRYPOINT ["jaring"]
CMD ["worker"]
