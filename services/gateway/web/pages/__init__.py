"""The pages of the web application, one module each: a `router = pages()` with its routes, and
optionally `MENU = [MenuItem(...)]`. Every module here is mounted (web/app.py)."""
