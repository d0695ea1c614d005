"""gunicorn's settings for chatsite: ``gunicorn -c gunicorn.conf.py chatsite.wsgi``.

Everything can be changed from the environment (``GUNICORN_*`` below) or on the command line,
which wins over this file. Threaded workers: a request mostly waits on the database, and a
slow client holds one thread, not a whole worker.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
# Two workers per core is the usual start; each runs `threads` requests at once.
workers = _int("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1))
threads = _int("GUNICORN_THREADS", 4)

# A request that runs longer than this is killed with its worker (and logged).
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM, requests in flight get this long to finish before workers are stopped.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle keep-alive connections are closed after this many seconds (a load balancer's is longer).
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Requests a worker serves before it is replaced (0: never), with jitter so they do not all restart at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)
# Room for bursts of new connections while every thread is busy.
backlog = _int("GUNICORN_BACKLOG", 2048)

# Request lines and headers are bounded; bodies are bounded by DATA_UPLOAD_MAX_MEMORY_SIZE.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Behind a proxy on another host, set FORWARDED_ALLOW_IPS to its address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs to stdout/stderr, for systemd's journal or the container runtime.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The path without its query string (%(U)s, not %(r)s) and no referrer: a URL can carry a token
# or a cursor. Timing in ms, for the slow ones.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

# Worker heartbeat files in memory, not on a disk that may stall (containers mount /dev/shm).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
