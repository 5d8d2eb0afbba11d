from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Synthetic summit data (the `generate_data` command): benchmarks and tests install it, the
    product does not."""

    name = "devdata"
    verbose_name = "Synthetic data"
