"""The summit attendance tracker's Django project."""
