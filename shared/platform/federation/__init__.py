"""Many levels: deployments joined through NATS leaf nodes, each keeping verified copies of the
logs of the deployments it is linked to (docs/federation.md)."""
