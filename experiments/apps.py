from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "experiments"
    verbose_name = "Experiments"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the module declaration checks)
        from .modules.framework.registry import autodiscover

        autodiscover()
        from .engine import store
        from .runner import StorageFiles

        store.use_files(StorageFiles())  # stored outputs live in Django's storage
        from studio import workqueue

        from .run_queue import RunQueue

        workqueue.register(RunQueue())
