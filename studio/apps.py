from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Studio"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers the checks, connects the default-workspace receiver)
