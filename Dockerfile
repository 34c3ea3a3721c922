# syntax=docker/dockerfile:1
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/borderstatus.db

WORKDIR /srv/borderstatus
RUN groupadd --system app && useradd --system --gid app --home-dir /srv/borderstatus app \
    && mkdir /data && chown app:app /data

COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY seed_data ./seed_data
RUN pip install --no-cache-dir -e .

USER app
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]

# Migrate and bring the seed in line on every start, then serve.
CMD ["sh", "-c", "borderstatus migrate && borderstatus seed && exec borderstatus serve --host 0.0.0.0 --port 8000 --workers ${WORKERS:-1}"]
