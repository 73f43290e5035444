"""`python -m services.verification`: run the verification service until SIGTERM or Ctrl-C."""

from services import service_named
from shared.service import run_service

if __name__ == "__main__":
    run_service(service_named("verification"))
