"""The gunicorn settings the fault tests serve chatsite with: threaded workers and bounded waits."""

import os

workers = int(os.environ.get("FAULTS_GUNICORN_WORKERS", "2"))
worker_class = "gthread"
# More threads than slow uploads a worker may hold at once, so other requests always find one free.
threads = 8
timeout = 30
graceful_timeout = 5
keepalive = 2
accesslog = None
loglevel = "warning"
