"""The PostgreSQL backend the tracker runs on: Django's, with a deadline on a request's calls."""
