"""`python -m services.registry`: run the registry service until SIGTERM or Ctrl-C."""

from services import service_named
from shared.service import run_service

if __name__ == "__main__":
    run_service(service_named("registry"))
