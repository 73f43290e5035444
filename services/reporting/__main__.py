"""`python -m services.reporting`: run the reporting service until SIGTERM or Ctrl-C."""

from services import service_named
from shared.service import run_service

if __name__ == "__main__":
    run_service(service_named("reporting"))
