"""Web services, endpoints and keys arrive with the Deploy Web Service issue (DESIGN §4)."""
