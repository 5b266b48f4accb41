"""Load (or refresh) the sample datasets shipped in experiments/sample_data/ (part of `make setup`)."""

from typing import Any

from django.core.management.base import BaseCommand

from experiments.datasets import samples_load


class Command(BaseCommand):
    help = "Create or refresh the sample datasets; unchanged ones are skipped, so a second call is quick."

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = samples_load()
        self.stdout.write(f"Loaded {len(loaded)} sample dataset(s)" + (f": {', '.join(loaded)}" if loaded else "."))
