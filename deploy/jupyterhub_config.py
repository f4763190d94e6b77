"""JupyterHub configuration of the workbench: ``jupyterhub -f deploy/jupyterhub_config.py``.

Everything lives in ``workbench.access.hub.configure``; add site settings below it (TLS
certificate, public address, spawner for per-person system accounts or containers).
"""

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

from workbench.access.hub import configure  # noqa: E402

configure(c)
