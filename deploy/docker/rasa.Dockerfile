# syntax=docker/dockerfile:1
# The Rasa image (Python 3.10: Rasa 3.6 supports 3.8-3.10 only), with the model trained at build
# time from this repository's data, exactly as `make train` does. Build from the repository root:
#   docker build -f deploy/docker/rasa.Dockerfile -t akar-rasa .
# Not built on the development machines (they have no container engine); checked statically
# by tests/test_deploy.py.
FROM python:3.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/app/.venv-rasa \
    PATH=/app/.venv-rasa/bin:$PATH \
    PYTHONPATH=/app \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1

WORKDIR /app
RUN python -m venv /app/.venv-rasa
# Rasa alone (requirements/rasa.txt also lists pytest, for the component tests), at the versions
# pinned in rasa.lock; pip and wheel as the Makefile pins them for Rasa's old dependency tree.
COPY requirements/rasa.txt requirements/rasa.lock requirements/
RUN pip install "pip==24.0" "wheel==0.43.0" \
 && pip install "$(grep '^rasa==' requirements/rasa.txt)" -c requirements/rasa.lock

# Training inputs and the server's configuration; the custom NLU component (akar_nlu/) is
# imported from /app by the model.
COPY config.yml endpoints.yml endpoints.shared.yml credentials.yml ./
COPY akar_nlu akar_nlu
COPY domain domain
COPY nlu nlu
COPY stories stories
RUN rasa train --skip-validation --data nlu stories --config config.yml --domain domain \
        --out models --fixed-model-name akar --quiet

RUN useradd --create-home --uid 10001 akar && mkdir -p .rasa && chown -R akar models .rasa
USER akar

# ACTION_ENDPOINT_URL (endpoints.yml) must point at the action server, e.g.
# http://actions:5055/webhook. The CMD is one replica with in-memory conversations; compose and
# deploy/k8s run `--endpoints endpoints.shared.yml` instead (PostgreSQL tracker store, Redis lock
# store: RASA_TRACKER_STORE_URL and RASA_LOCK_STORE_HOST/_PORT/_DB/_PASSWORD), so replicas share. --enable-api gives the bot /webhooks/rest/webhook, the tracker and
# /status, and gives anyone who reaches the port the same power: keep it on a private network.
EXPOSE 5005
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/status', timeout=4)"]
CMD ["rasa", "run", "--enable-api", "--model", "models/akar.tar.gz", "--port", "5005", \
     "--interface", "0.0.0.0", "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
