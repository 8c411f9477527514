# syntax=docker/dockerfile:1
# The app image (Python 3.11): the Telegram bot, the support desk, the broadcast sender, the
# action server and the one-shot migration all run from it, each with its own command
# (docker-compose.yml, deploy/k8s/). Build from the repository root:
#   docker build -f deploy/docker/app.Dockerfile -t akar-app .
# Not built on the development machines (they have no container engine); checked statically
# by tests/test_deploy.py.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    PYTHONPATH=/app \
    LOG_FORMAT=json

WORKDIR /app
RUN python -m venv /app/.venv

# Dependencies first (a code change does not reinstall them). Runtime only: everything above the
# "# development and test tools" line of app.txt (tests/test_deploy.py checks that only test
# tools follow it), at the versions pinned in app.lock.
COPY requirements/app.txt requirements/app.lock requirements/
RUN sed '/^# development and test tools/,$d' requirements/app.txt > requirements/runtime.txt \
 && pip install -r requirements/runtime.txt -c requirements/app.lock

# The code and the data files it reads at run time (content/, domain/, nlu/, tests/nlu/);
# .dockerignore keeps out environments, models, databases, logs and .env.
COPY . .
RUN useradd --create-home --uid 10001 akar
USER akar

# 8091: the bot's and the sender's health server; 8080: the desk; 5055: the action server.
# No image-wide HEALTHCHECK: one image plays several roles, so each service declares its own
# (docker-compose.yml healthchecks, deploy/k8s probes), all with bot.observability.probe.
EXPOSE 8091 8080 5055
CMD ["python", "-m", "bot", "bot"]
