from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "smmpanel.fulfilment"
    label = "fulfilment"
    verbose_name = "Order fulfilment"

    def ready(self) -> None:
        # The outbox (providers.outbox, a layer below) announces new upstream work
        # with a signal; the worker's tasks are the ones that answer it.
        from smmpanel.fulfilment import tasks

        tasks.listen_to_the_outbox()
