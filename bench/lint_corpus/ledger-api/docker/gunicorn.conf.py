import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_tmp_dir = "/dev/shm"
accesslog = "-"
forwarded_allow_ips = "*"
graceful_timeout = 25
