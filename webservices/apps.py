from django.apps import AppConfig


class WebservicesConfig(AppConfig):
    name = "webservices"
    verbose_name = "Web services"

    def ready(self) -> None:
        from studio import workqueue

        from .job_queue import JobQueue

        workqueue.register(JobQueue())
