"""Deleting a web service (issue 15, item 8): what goes with it, what stays, and how every process learns of it.

Goes: its deployments, endpoints and keys (every process answers 401 from its next request: the endpoints'
change markers are touched once the deletion commits), its unfinished batch jobs (cancelled: their tasks find
the job gone and stop at their next step, writing no outputs), its retraining schedules and the schedules of
other endpoints that retrain with it, its usage and request log. Stays: the experiments it was deployed from,
the saved models, transforms and datasets, and its files in the workspace storage, which become the studio's
(the workspace's members reach them; no key does, there are none left).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from studio.storage import files_disown
from studio.workqueue import work_dispatch

from .batch import job_files_remove
from .models import BatchJob, Deployment, RetrainingSchedule, WebService
from .services import signal_on_commit

UNFINISHED = (BatchJob.Status.NOT_STARTED, BatchJob.Status.RUNNING)


def services_loading(workspace: Any, to: str, pk: int) -> list[str]:
    """The web services any of whose deployments loads the saved object (`to` is the Reference kind): an
    endpoint can be rolled back to an older deployment's resources, so the current one alone is not enough.
    Registered with experiments.assets.SAVED_OBJECT_USERS, which refuses to delete what they load."""
    key = "Dataset" if to == "dataset" else "Asset"
    services: dict[int, str] = {}
    for deployment in Deployment.objects.filter(service__workspace=workspace).select_related("service"):
        if any(resource.get(key) == pk for resource in deployment.resources):
            services[deployment.service_id] = deployment.service.label  # name, #id, deploy time: twins differ
    return [f"web service {label}" for _, label in sorted(services.items())]


@dataclass(frozen=True)
class Deletion:
    """What deleting the service does: said in its confirmation before, returned by the deletion."""

    label: str
    endpoints: list[str]
    jobs: int
    schedules: int
    experiment: str

    def warning(self) -> str:
        """The confirmation's text: the service named with what tells it from a twin, then what happens."""
        count = len(self.endpoints)
        said = [f"Delete the web service {self.label}?",
                f"Its {_plural(count, 'endpoint')} ({', '.join(self.endpoints)}) stop answering and every key is "
                "revoked at once." if count else "It has no endpoints left."]
        if self.jobs:
            said.append(f"{_plural(self.jobs, 'unfinished batch job')} {'is' if self.jobs == 1 else 'are'} "
                        "cancelled.")
        if self.schedules:
            said.append(f"{_plural(self.schedules, 'retraining schedule')} {'is' if self.schedules == 1 else 'are'} "
                        "removed.")
        kept = f"the experiment '{self.experiment}', " if self.experiment else ""
        said.append(f"Kept: {kept}saved models and datasets, and its files in the workspace storage. Its usage "
                    "history goes with it; this can't be undone.")
        return " ".join(said)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _jobs(service: WebService) -> QuerySet[BatchJob]:
    return BatchJob.objects.filter(endpoint__service=service, status__in=UNFINISHED)


def _schedules(service: WebService) -> QuerySet[RetrainingSchedule]:
    return RetrainingSchedule.objects.filter(Q(endpoint__service=service) | Q(retraining=service))


def deletion_facts(service: WebService) -> Deletion:
    """What deleting the service would do now (the confirmation's facts)."""
    return Deletion(service.label, [endpoint.name for endpoint in service.endpoints.all()], _jobs(service).count(),
                    _schedules(service).count(), service.experiment.name if service.experiment else "")


def web_service_delete(*, service: WebService) -> Deletion:
    """Delete the service (see the module's docstring for what goes and what stays)."""
    with transaction.atomic():
        service = WebService.objects.select_for_update().select_related("experiment").get(pk=service.pk)
        done = deletion_facts(service)
        jobs = list(_jobs(service).values_list("job_id", flat=True))
        signal_on_commit(list(service.endpoints.values_list("endpoint_id", flat=True)))
        _schedules(service).delete()
        files_disown(service_id=service.pk)  # its storage files stay, the studio's
        service.delete()  # endpoints, jobs, deployments, resource history, usage: with it (CASCADE)
        for job_id in jobs:  # their chunk files; a task still writing one leaves it to jobs_sweep
            transaction.on_commit(partial(job_files_remove, job_id), robust=True)
        transaction.on_commit(partial(work_dispatch, str(service.workspace_id)), robust=True)  # their places
    return done
