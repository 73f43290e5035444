"""Ketnap (import name `ketnap`): the platform every service builds on (`ketnap.platform`) and the
admission rules beside it (`ketnap.domain`). The services (`services/`) and the operator's
application (`operations/`) are installed beneath this name too (setup.py)."""
