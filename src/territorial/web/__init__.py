"""The web app: server-rendered pages (Jinja2 and htmx) over the same services and access as the API."""
