"""JupyterHub integration: the login checks the workbench accounts, the role picks the server.

* :class:`WorkbenchAuthenticator` builds on ``jupyterhub-nativeauthenticator`` (sign-up with
  administrator approval, bcrypt password hashes, password rules, lock-out after repeated
  failures) and adds the workbench rules at every login and session refresh, with French
  messages.
* :class:`WorkbenchSpawner` starts JupyterLab for analysts and administrators, and Voilà
  alone for everyone else: Voilà only forwards widget messages to the kernels it starts
  itself, so partners and commission members cannot run code of their own.
* :class:`VoilaHubIdentityProvider` lets the stand-alone Voilà accept the hub's OAuth login.
* :func:`configure` fills a JupyterHub config object (``deploy/jupyterhub_config.py``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from jupyterhub.singleuser.extension import JupyterHubIdentityProvider
from jupyterhub.spawner import SimpleLocalProcessSpawner
from jupyterhub.utils import random_port, url_path_join
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler as NativeLoginHandler
from nativeauthenticator.handlers import SignUpHandler as NativeSignUpHandler
from traitlets import Unicode, default

from workbench.config import DASHBOARDS_DIR, PROJECT_ROOT, paths

DEPLOY_DIR = PROJECT_ROOT / "deploy"
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."


def _accounts():  # type: ignore[no-untyped-def]
    from workbench.access import accounts

    return accounts


class WorkbenchLoginHandler(NativeLoginHandler):
    """The native login page, answering in French with the reason of a refusal (HTTP 403)."""

    async def post(self) -> None:
        data = {arg: self.get_argument(arg, strip=False) for arg in self.request.arguments}
        user = await self.login_user(data)
        if user:
            self._jupyterhub_user = user
            self.redirect(self.get_next_url(user))
            return
        self.set_status(403)
        error = getattr(self, "workbench_refusal", None) or BAD_CREDENTIALS
        self.finish(await self._render(login_error=error, username=data.get("username")))


class WorkbenchSignUpHandler(NativeSignUpHandler):
    """Sign-up only for an account the administrator created in the workbench first, with the
    account's own address; the administrator still approves each sign-up."""

    async def post(self) -> None:
        username = self.get_body_argument("username", "", strip=True).lower()
        account = _accounts().find(username)
        refusal = None
        if account is None:
            refusal = ("Aucun compte de l'atelier ne porte cet identifiant : demandez d'abord "
                       "la création de votre compte à l'administrateur.")
        elif not account.active:
            refusal = "Ce compte est désactivé : adressez-vous à l'administrateur."
        elif self.get_body_argument("email", "", strip=True).lower() != account.email:
            refusal = ("L'adresse électronique ne correspond pas à celle du compte : indiquez "
                       "l'adresse professionnelle donnée à l'administrateur.")
        if refusal:
            self.set_status(403)
            html = await self.render_template(
                "signup.html", ask_email=True, result_message=refusal, alert="alert-danger",
                two_factor_auth=False, recaptcha_key=None, tos=self.authenticator.tos,
            )
            self.finish(html)
            return
        await super().post()

    def get_result_message(self, user, assume_user_is_human, username_already_taken,  # type: ignore[no-untyped-def]
                           confirmation_matches, user_is_admin):
        if username_already_taken:
            return "alert-danger", "Cet identifiant est déjà inscrit."
        if not confirmation_matches:
            return "alert-danger", "Les deux mots de passe ne sont pas identiques."
        if not user:
            n = self.authenticator.minimum_password_length
            return "alert-danger", (f"Inscription refusée : le mot de passe doit compter au moins "
                                    f"{n} caractères et ne pas être trop courant.")
        if user_is_admin or self.authenticator.open_signup:
            return "alert-success", "Inscription réussie : vous pouvez vous connecter."
        return "alert-info", ("Inscription enregistrée : l'administrateur doit la valider avant "
                              "votre première connexion.")


class WorkbenchAuthenticator(NativeAuthenticator):
    """Native passwords plus the workbench account rules, checked at each login and refresh."""

    @default("allow_all")
    def _allow_all(self) -> bool:
        return True  # the workbench accounts database is the allow-list

    @default("ask_email_on_signup")
    def _ask_email(self) -> bool:
        return True  # must match the workbench account: knowing a login is not enough

    @default("minimum_password_length")
    def _min_length(self) -> int:
        return 12

    @default("check_common_password")
    def _common(self) -> bool:
        return True

    @default("allowed_failed_logins")
    def _failures(self) -> int:
        return 5

    def get_handlers(self, app):  # type: ignore[no-untyped-def]
        replace = {"/login": WorkbenchLoginHandler, "/signup": WorkbenchSignUpHandler}
        return [(path, replace.get(path, handler)) for path, handler in super().get_handlers(app)]

    async def authenticate(self, handler, data):  # type: ignore[no-untyped-def]
        username = self.normalize_username(data.get("username", ""))
        password = data.get("password", "")
        if self.allowed_failed_logins and self.is_blocked(username):
            minutes = max(1, self.seconds_before_next_try // 60)
            handler.workbench_refusal = (f"Trop de tentatives infructueuses : réessayez dans "
                                         f"{minutes} minutes.")
            return None
        native = self.get_user(username)
        if await super().authenticate(handler, data) is None:
            if native is not None and not native.is_authorized and native.is_valid_password(password):
                handler.workbench_refusal = ("Votre inscription n'a pas encore été validée par "
                                             "l'administrateur.")
            return None
        accounts = _accounts()
        try:
            account = accounts.check_login(username)
        except accounts.LoginRefused as exc:
            self.log.warning("Connexion refusée pour %s : %s", username, exc)
            handler.workbench_refusal = str(exc)
            return None
        accounts.record_login(username)
        return {"name": username, "admin": account.role == "administrator"}

    async def refresh_user(self, user, handler=None):  # type: ignore[no-untyped-def]
        """A session ends as soon as the account stops passing the rules (deactivation…)."""
        accounts = _accounts()
        try:
            accounts.check_login(user.name)
        except accounts.LoginRefused:
            return False
        return True


class WorkbenchSpawner(SimpleLocalProcessSpawner):
    """JupyterLab for analysts, Voilà alone for partners, commission members and the like.

    Built on SimpleLocalProcessSpawner (every server runs as the hub's system user) so that the
    demo needs no system accounts; a deployment gives each person a system account or a
    container (see deploy/README.md).
    """

    dashboards_dir = Unicode(str(DASHBOARDS_DIR), config=True,
                             help="Folder of the Voilà dashboards served to partners.")
    commission_dir = Unicode(str(DEPLOY_DIR / "dashboards"), config=True,
                             help="Folder of the dashboards of commission members (résidence).")

    @default("home_dir_template")
    def _home_template(self) -> str:
        return str(paths().home / "users" / "{username}")

    def _account(self):  # type: ignore[no-untyped-def]
        accounts = _accounts()
        return accounts.check_login(self.user.name)

    def _voila_command(self, account) -> list[str]:  # type: ignore[no-untyped-def]
        commission = account.effective_role == "commission"
        target = self.commission_dir if commission else self.dashboards_dir
        return [
            _venv_script("voila"), target, "--no-browser",
            f"--port={self.port}", "--Voila.ip=127.0.0.1",
            f"--Voila.base_url={self.server.base_url}",
            "--Voila.identity_provider_class=workbench.access.hub.VoilaHubIdentityProvider",
        ]

    async def start(self):  # type: ignore[no-untyped-def]
        account = self._account()
        if self.port == 0:
            self.port = random_port()
        if account.uses_lab:
            self.cmd = [_venv_script("jupyterhub-singleuser")]
            self.default_url = "/lab"
            self.args = ["--ServerApp.terminals_enabled=True"]
            if os.geteuid() == 0:  # containers often run as root; JupyterLab refuses otherwise
                self.args.append("--ServerApp.allow_root=True")
        else:
            self.cmd = self._voila_command(account)
            self.default_url = ""
            self.args = []
        self._uses_lab = account.uses_lab
        return await super().start()

    def get_env(self) -> dict[str, Any]:
        env = super().get_env()
        env["WORKBENCH_USER"] = self.user.name
        keep = ["WORKBENCH_HOME", "WORKBENCH_SOURCE_MENTION"]
        if getattr(self, "_uses_lab", False):
            keep += ["WORKBENCH_DB_URL", "WORKBENCH_KEY_DIR"]
        else:  # Voilà reads dashboards/voila.json (no sources, no tracebacks, kernel culling)
            env["JUPYTER_CONFIG_PATH"] = self.dashboards_dir
        for key in keep:
            if key in os.environ:
                env[key] = os.environ[key]
        return env


def _venv_script(name: str) -> str:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


class VoilaHubIdentityProvider(JupyterHubIdentityProvider):
    """Hub OAuth for the stand-alone Voilà server (which does not prefix these handlers)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("token", None)  # Voilà passes an empty token; the hub's API token is used
        super().__init__(**kwargs)

    def get_handlers(self):  # type: ignore[no-untyped-def]
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        return [(url_path_join(prefix, path), *rest) for path, *rest in super().get_handlers()]


def configure(c: Any) -> None:
    """Fill a JupyterHub config (ports and addresses may be overridden on the command line)."""
    state = paths().state / "hub"
    state.mkdir(parents=True, exist_ok=True)
    c.JupyterHub.authenticator_class = WorkbenchAuthenticator
    c.JupyterHub.spawner_class = WorkbenchSpawner
    c.JupyterHub.bind_url = "http://{}:{}".format(
        os.environ.get("WORKBENCH_HUB_IP", "127.0.0.1"), os.environ.get("WORKBENCH_HUB_PORT", "8000")
    )
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.JupyterHub.template_paths = [str(DEPLOY_DIR / "templates")]
    c.JupyterHub.cleanup_servers = True
    c.ConfigurableHTTPProxy.command = [
        str(DEPLOY_DIR / "node_modules" / ".bin" / "configurable-http-proxy")
    ]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.Authenticator.admin_users = {
        a.username for a in _accounts().list_accounts() if a.role == "administrator"
    }
    c.Authenticator.auth_refresh_age = 300
    c.Authenticator.refresh_pre_spawn = True
    c.Spawner.http_timeout = 60
    c.Spawner.start_timeout = 120
