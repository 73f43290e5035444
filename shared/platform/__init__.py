"""The platform: the hash-chained log, the bus, the service runtime, projections, settings and
logging. It imports nothing above it: no rule of the domain, no service, no operator's tool."""
