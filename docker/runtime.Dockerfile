# ptune runtime images from binaries that are already built: what CI builds (fast, no
# compiler in the image). The context is made by scripts/docker-context.sh:
#   scripts/docker-context.sh build CONTEXT
#   docker build --network host -f docker/runtime.Dockerfile --target scheduler -t ptune-scheduler CONTEXT
#   docker build --network host -f docker/runtime.Dockerfile --target worker    -t ptune-worker    CONTEXT
# The images carry the binaries, the Debian runtime packages their shared libraries come
# from (listed by docker-context.sh from the binaries themselves, see *.packages), and for
# the worker the offline model and data cache. No toolchain, no -dev packages.
# To build from source instead (compiles everything): docker/Dockerfile.

FROM debian:bookworm AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# One unprivileged user for both images; uid/gid 10001 match the Kubernetes
# securityContext (deploy/k8s/base).
RUN groupadd --system --gid 10001 ptune \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/ptune --no-create-home ptune
COPY healthcheck.sh /usr/local/bin/ptune-healthcheck

# --- scheduler -------------------------------------------------------------------------
FROM runtime AS scheduler
COPY scheduler.packages /tmp/packages
RUN apt-get update -q && xargs -a /tmp/packages apt-get install -y -q --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/packages
COPY bin/ptune-scheduler bin/ptunectl /usr/local/bin/
RUN mkdir -p /var/lib/ptune && chown ptune:ptune /var/lib/ptune
USER ptune
WORKDIR /var/lib/ptune
VOLUME /var/lib/ptune
EXPOSE 50051 9464
# SIGTERM: health NOT_SERVING, streams get --shutdown-grace, the store closes cleanly.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["ptune-healthcheck", "9464", "ptune_jobs_submitted_total", "50051"]
# Defaults only: compose's command and the Kubernetes args replace all of CMD.
ENTRYPOINT ["ptune-scheduler"]
CMD ["--listen", "0.0.0.0:50051", "--store", "/var/lib/ptune/ptune.db", \
     "--metrics-listen", "0.0.0.0:9464"]

# --- CPU worker ------------------------------------------------------------------------
FROM runtime AS worker
COPY worker.packages /tmp/packages
RUN apt-get update -q && xargs -a /tmp/packages apt-get install -y -q --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/packages
COPY bin/ptune-worker bin/ptune-train bin/ptunectl /usr/local/bin/
# The offline USE-Lite model and UCI sentiment data (scripts/setup.sh's cache).
COPY cache /opt/ptune/cache
COPY examples /opt/ptune/examples
ENV PTUNE_CACHE=/opt/ptune/cache
RUN mkdir -p /var/lib/ptune-worker && chown ptune:ptune /var/lib/ptune-worker \
 && chmod -R a+rX /opt/ptune
USER ptune
WORKDIR /var/lib/ptune-worker
EXPOSE 9465
# SIGTERM checkpoints running jobs and reports them preempted (requeued at once); give
# the container more than --shutdown-timeout (compose: stop_grace_period).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["ptune-healthcheck", "9465", "ptune_worker_connected"]
# Defaults only: compose's command and the Kubernetes args replace all of CMD.
ENTRYPOINT ["ptune-worker"]
CMD ["--work-dir", "/var/lib/ptune-worker", "--metrics-listen", "0.0.0.0:9465", \
     "--scheduler", "scheduler:50051"]
