"""The environments of the platform."""
