"""Live-room and order monitor: event streams, deadlines under an injected clock, durable state."""
