# lavalink_py container image: a small, non-root image whose root filesystem can be mounted read-only.
#   docker build -t lavalink-py:0.1.0 .
#   docker run --rm -p 2333:2333 -e LAVALINK_SERVER_PASSWORD=change-me --read-only --tmpfs /tmp lavalink-py:0.1.0
# The install step is scripts/image-install.sh, which the test suite runs too. PyAV's wheel bundles FFmpeg and
# libopus, so the runtime needs no system packages beyond Python.
FROM python:3.13-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY lavalink_py ./lavalink_py
COPY scripts/image-install.sh ./scripts/
ENV PIP_NO_CACHE_DIR=1
RUN bash scripts/image-install.sh /opt/lavalink-py

FROM python:3.13-slim-bookworm
# A fixed numeric uid, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
RUN useradd --system --uid 10001 --home-dir /var/lib/lavalink --create-home lavalink
COPY --from=build /opt/lavalink-py /opt/lavalink-py
COPY application.yml /etc/lavalink/application.yml
# Logs go to stdout (logging.file.path unset); yt-dlp's cache and temporary files go to /tmp, the only writable
# path besides the working directory (mount a tmpfs or an emptyDir there with a read-only root).
# LOGGING_FILE_PATH empty: the bundled config's log file is off, so logs go to stdout only.
ENV PATH=/opt/lavalink-py/bin:$PATH \
    LOGGING_FILE_PATH= \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    XDG_CACHE_HOME=/tmp/cache \
    SERVER_ADDRESS=0.0.0.0
USER 10001
WORKDIR /var/lib/lavalink
EXPOSE 2333
ENTRYPOINT ["lavalink-py"]
CMD ["--config", "/etc/lavalink/application.yml", "--drain-seconds", "10"]
