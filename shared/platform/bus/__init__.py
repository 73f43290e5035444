"""How events and commands travel over NATS: subjects, streams, the relay, the consumer runner."""
