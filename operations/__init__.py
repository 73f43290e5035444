"""The operator's application, above every service: the `ketnap` command (cli.py), the stack of
embedded servers and service processes (stack.py), status, audit, bootstrap, and the demo."""
