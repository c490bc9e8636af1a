"""Packaged Jinja templates (letters, reports, printable lists); authorities may override them."""
