"""One JSON object per log line: {"ts", "level", "logger", "process", "pid", "message", ...}.

Inside a Celery task the line also carries "task_name" and "task_id".
"""
import json
import logging
from datetime import UTC, datetime

from celery import current_task


class JsonLineFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.processName,
            "pid": record.process,
            "message": record.getMessage(),
        }
        task = current_task._get_current_object() if current_task else None
        if task is not None and task.request.id:
            entry["task_name"] = task.name
            entry["task_id"] = task.request.id
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
