"""Tasks of the studio itself."""

from celery import shared_task


@shared_task(name="studio.ping", acks_late=False, ignore_result=False)
def ping() -> str:
    """Answer the /healthz worker check: proves a worker is consuming the queue, not just alive."""
    return "pong"
