"""KFP2xx: Python function components."""
