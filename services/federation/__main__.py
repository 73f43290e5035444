"""`python -m services.federation`: keep the linked deployments' logs until SIGTERM or Ctrl-C."""

from services import service_named
from shared.service import run_service

if __name__ == "__main__":
    run_service(service_named("federation"))
