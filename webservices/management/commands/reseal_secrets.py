"""`manage.py reseal_secrets`: seal every stored endpoint key, workspace token and batch job's storage account
again with the newest of `ATELIER_SEALING_SECRETS` (the rotation's middle step: put a new secret first, run this,
drop the old one)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from studio.models import Workspace
from studio.sealing import reseal
from webservices.models import BatchJob, Endpoint

SEALED: list[tuple[type[models.Model], tuple[str, ...]]] = [
    (Endpoint, ("primary_key_sealed", "secondary_key_sealed")),
    (Workspace, ("primary_token_sealed", "secondary_token_sealed")),
]


class Command(BaseCommand):
    help = ("Re-encrypt stored endpoint keys, workspace tokens and batch jobs' storage accounts with the newest "
            "ATELIER_SEALING_SECRETS entry.")

    def handle(self, *args: Any, **options: Any) -> None:
        unreadable: list[str] = []
        done = 0
        with transaction.atomic():
            for model, fields in SEALED:
                for row in model._default_manager.select_for_update().only("pk", *fields):
                    done += self._reseal(row, fields, unreadable)
            for job in BatchJob.objects.select_for_update().exclude(blob_accounts={}).only("pk", "blob_accounts"):
                done += self._reseal_accounts(job, unreadable)
            if unreadable:  # inside the transaction: raising rolls every row back
                raise CommandError("Not resealed, no configured secret opens them (regenerate them, or configure the "
                                   f"secret they were sealed with): {', '.join(unreadable)}. Nothing was changed.")
        self.stdout.write(f"Resealed {done} secret(s) with the newest sealing secret.")

    @staticmethod
    def _reseal(row: models.Model, fields: tuple[str, ...], unreadable: list[str]) -> int:
        """Reseal one row's fields in memory and save them; counts what was resealed, names what could not be."""
        count = 0
        for field in fields:
            try:
                setattr(row, field, reseal(getattr(row, field)))
                count += bool(getattr(row, field))
            except InvalidToken:
                unreadable.append(f"{type(row).__name__} {row.pk} {field}")
        row.save(update_fields=list(fields))
        return count

    @staticmethod
    def _reseal_accounts(job: BatchJob, unreadable: list[str]) -> int:
        """A job's {"Inputs"|"Outputs": {name: sealed connection string}}, each resealed."""
        count = 0
        for kind, sealed in (job.blob_accounts or {}).items():
            for name, value in sealed.items():
                try:
                    sealed[name] = reseal(value)
                    count += 1
                except InvalidToken:
                    unreadable.append(f"BatchJob {job.pk} {kind} '{name}' storage account")
        job.save(update_fields=["blob_accounts"])
        return count
