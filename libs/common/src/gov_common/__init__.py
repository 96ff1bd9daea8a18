"""Mechanics shared by every service of the platform. No domain code lives here."""
