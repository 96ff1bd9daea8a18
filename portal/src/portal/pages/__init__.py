"""The portal's pages: public (no sign-in), the apply path, and the personal space."""
