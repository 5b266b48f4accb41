from django.apps import AppConfig


class WebservicesConfig(AppConfig):
    name = "webservices"
    verbose_name = "Web services"

    def ready(self) -> None:
        from experiments.assets import SAVED_OBJECT_USERS
        from studio import storage, workqueue

        from .deletion import services_loading
        from .job_queue import JobQueue
        from .selectors import service_names

        workqueue.register(JobQueue())
        SAVED_OBJECT_USERS.append(services_loading)  # a saved model a deployment loads can't be deleted
        storage.OWNER_NAMES.append(service_names)  # the Datasets page names a file's owning service
