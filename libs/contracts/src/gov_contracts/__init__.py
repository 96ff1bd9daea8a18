"""The contracts between services: typed, versioned events and how to publish and subscribe to them."""
