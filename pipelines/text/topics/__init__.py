"""Topics: taxonomy loading, section → topic assignment, discovery and frequency tables."""
