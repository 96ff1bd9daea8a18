"""A sandbox payment provider that behaves like a real one; it talks to svc-payment only over HTTP."""
