"""Admin registrations for web services arrive with their models."""
