"""Share links: the API routes (routes.py, asked of the sharing service) and the /s/ pages (pages.py, templates/)."""
