"""Remove cached node outputs that no run references any more (and files no cache entry owns)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from experiments.services import cache_prune


class Command(BaseCommand):
    help = "Delete cache entries that no run references, and orphaned files under the storage's cache/ folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only report what would be removed.")

    def handle(self, *args: Any, **options: Any) -> None:
        entries, files, size = cache_prune(dry_run=options["dry_run"])
        verb = "Would remove" if options["dry_run"] else "Removed"
        self.stdout.write(f"{verb} {entries} cache entries and {files} orphaned files ({size / 2**20:.1f} MiB).")
