# syntax=docker/dockerfile:1
# Two stages: build the app's wheel, then install it (not editable) into a slim runtime image.
# tests/test_deploy.py runs this file's pip and start commands in a fresh venv, and lints it.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip wheel --no-deps --wheel-dir dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/borderstatus.db \
    MIGRATIONS_DIR=/srv/borderstatus/migrations \
    SEED_DIR=/srv/borderstatus/seed_data \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKERS=1 \
    FORWARDED_ALLOW_IPS="" \
    HEADER_TIMEOUT_SECONDS=10 \
    LIMIT_CONCURRENCY=1000 \
    BACKLOG=2048
WORKDIR /srv/borderstatus
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /srv/borderstatus app \
    && install -d -o app -g app /data
COPY --from=build /src/dist ./dist
RUN pip install dist/*.whl && rm -r dist
COPY migrations ./migrations
COPY seed_data ./seed_data

USER 10001:10001
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["borderstatus", "healthcheck"]

# Migrate, bring the store in line with seed_data/ (SEED_ON_START=false skips it), then serve
# WORKERS processes on HOST:PORT. Forwarded headers are believed only from FORWARDED_ALLOW_IPS
# (set it to the reverse proxy's address); a connection has HEADER_TIMEOUT_SECONDS to send its
# headers, and a worker takes LIMIT_CONCURRENCY connections.
CMD ["borderstatus", "start"]
