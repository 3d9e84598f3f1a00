# The Safeguard image: one image, every service; the command picks which.
#   docker build -t safeguard .
#   docker run -p 8000:8000 safeguard                      # the embedded stack (safeguard serve)
#   docker run safeguard run police                         # one service (see docs/deployment.md)
# Only the package is copied (no tests, no data), so no .dockerignore is needed.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/safeguard
# Every dependency from the hashed lock, then the project itself on top (as ./dev does).
COPY requirements/run.lock requirements/run.lock
RUN /opt/safeguard/bin/pip install --no-cache-dir --no-deps --require-hashes -r requirements/run.lock
COPY pyproject.toml README.md ./
COPY events events
COPY infra infra
COPY services services
RUN /opt/safeguard/bin/pip install --no-cache-dir --no-deps --no-build-isolation . \
    && /opt/safeguard/bin/pip check

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin safeguard \
    && mkdir -p /data /config /audit \
    && chown safeguard:safeguard /data /config /audit
COPY --from=build /opt/safeguard /opt/safeguard
ENV PATH=/opt/safeguard/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SAFEGUARD_HOST=0.0.0.0 \
    SAFEGUARD_PORT=8000 \
    SAFEGUARD_DATA_DIR=/data
USER safeguard
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('SAFEGUARD_PORT', '8000')}/healthz\", timeout=2)"]
ENTRYPOINT ["safeguard"]
CMD ["serve", "--host", "0.0.0.0"]
