"""`python -m services.gateway`: the gateway's NATS endpoints and its HTTP API, until SIGTERM or Ctrl-C."""

from services.gateway.service import service
from shared.service import run_service

if __name__ == "__main__":
    run_service(service)
