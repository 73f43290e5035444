"""`python -m services.voting`: run the voting service until SIGTERM or Ctrl-C."""

from services import service_named
from shared.service import run_service

if __name__ == "__main__":
    run_service(service_named("voting"))
