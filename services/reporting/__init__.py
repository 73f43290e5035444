"""The reporting service: projections only, over every other service's log."""
