# One image for the three services; docker-compose.yml picks the subcommand:
#   luqiao-monitor serve tracker | serve extractor | crawl --poll-minutes N
#
# Two stages so that the runtime image carries no pip cache or build tooling: the builder
# installs the project into a virtualenv, the runtime copies only that virtualenv.

FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/luqiao
ENV PATH=/opt/luqiao/bin:$PATH

WORKDIR /src
# pyproject.toml names README.md as the readme, so the build needs it.
COPY pyproject.toml README.md ./
COPY services ./services
RUN pip install --upgrade pip && pip install .


FROM python:3.11-slim

ENV PATH=/opt/luqiao/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LUQIAO_LOG_FORMAT=json \
    LUQIAO_HTTP_HOST=0.0.0.0

# A fixed, unprivileged uid/gid so that volume ownership is predictable.
RUN groupadd --system --gid 10001 luqiao \
    && useradd --system --uid 10001 --gid luqiao --home-dir /var/lib/luqiao \
       --shell /usr/sbin/nologin luqiao \
    && mkdir -p /var/lib/luqiao/warc \
    && chown -R luqiao:luqiao /var/lib/luqiao

COPY --from=builder /opt/luqiao /opt/luqiao

# Relative defaults (sqlite:///./luqiao.db, ./warc) land in the service user's own directory.
WORKDIR /var/lib/luqiao
USER luqiao:luqiao

EXPOSE 8080 9108 9109

ENTRYPOINT ["luqiao-monitor"]
CMD ["--help"]
