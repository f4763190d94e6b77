"""Access and data protection: organisations, nominative accounts, roles, the hub login."""
