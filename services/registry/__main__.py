"""`python -m ketnap.services.registry`: run the registry service until SIGTERM or Ctrl-C."""

from ketnap.platform.service import run_service
from ketnap.services import service_named

if __name__ == "__main__":
    run_service(service_named("registry"))
