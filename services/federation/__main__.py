"""`python -m ketnap.services.federation`: keep the linked deployments' logs until SIGTERM or Ctrl-C."""

from ketnap.platform.service import run_service
from ketnap.services import service_named

if __name__ == "__main__":
    run_service(service_named("federation"))
