# syntax=docker/dockerfile:1
# The Nobat app image: gunicorn (one process, gevent) behind nginx, several
# of them in docker-compose.yml. Build: docker build -t nobat .

# --- browser assets: Node.js and npm exist only in this stage --------------------------------
FROM node:22-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- the app ---------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NOBAT_ENV=production \
    NOBAT_ASYNC_MODE=gevent \
    NOBAT_BIND=0.0.0.0:5000 \
    NOBAT_INSTANCE=/var/lib/nobat \
    NOBAT_ASSETS=/app/node_modules \
    NOBAT_FONT_DIR=/app/node_modules/vazirmatn/fonts/ttf

# Shaped Persian ticket text (Pillow's raqm layout loads fribidi and raqm at run time), a
# fallback font, and espeak-ng and sox, which make the spoken calls' clips at build time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libfribidi0 libraqm0 fonts-dejavu-core \
        espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 nobat \
    && useradd --system --uid 10001 --gid nobat --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin nobat

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that a change of the code reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The source tree stays in /app (owned by root, read-only to the app): the app finds
# gunicorn.conf.py and server/migrations there, as in a checkout.
COPY . .
COPY --from=assets /build/node_modules ./node_modules
RUN pip install --no-deps -e . \
    && pybabel compile --use-fuzzy -d server/translations \
    && python -c "from display.voice.synth import build; build()" \
    && python -m compileall -q server kiosk counter display manager admin printer_drivers \
    && chmod 0755 deploy/entrypoint.sh \
    && install -d -o nobat -g nobat -m 0750 /var/lib/nobat

USER 10001:10001
VOLUME ["/var/lib/nobat"]
EXPOSE 5000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/api/v1/health', timeout=4)"]

ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["serve"]
