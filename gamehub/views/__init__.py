"""What each audience may see of a session (phone, projector, facilitator) and the exports: pure."""
