import socket

from celery import shared_task
from celery.utils.log import get_task_logger
from django.utils.text import slugify

logger = get_task_logger(__name__)


@shared_task
def slugify_title(title):
    """The card slug for a title, through broker, worker and result backend."""
    return slugify(title)


@shared_task(ignore_result=True)
def pulse():
    """Scheduled by beat every 10 s; its only effect is this log line."""
    logger.info("kanban pulse from %s", socket.gethostname())
