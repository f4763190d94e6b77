"""The JupyterHub of the workbench, started for real on 127.0.0.1 and driven over HTTP.

The hub runs ``deploy/jupyterhub_config.py`` with configurable-http-proxy from
``deploy/node_modules`` (installed with ``npm ci --prefix deploy`` if absent).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from workbench.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
PASSWORD = "Fenetre-Bleue-2026!"
TODAY = dt.date.today()

pytestmark = pytest.mark.timeout(600)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_proxy() -> None:
    if not PROXY.exists():
        subprocess.run(["npm", "ci", "--prefix", str(DEPLOY), "--no-audit", "--no-fund"],
                       check=True, capture_output=True, timeout=300)
    assert PROXY.exists(), "configurable-http-proxy absent : lancer `npm ci --prefix deploy`"


EMAILS = {
    "admin": "a.dmin@lillemetropole.fr", "ana": "a.lyste@lillemetropole.fr",
    "part": "p.artenaire@ville-roubaix.fr", "cal": "c.ommission@ville-roubaix.fr",
    "bloque": "b.loque@ville-roubaix.fr", "attente": "a.ttente@ville-roubaix.fr",
    "gen": "pole@ville-roubaix.fr", "tiers": "t.iers@ben.fr", "vieux": "v.ieux@ville-roubaix.fr",
}


def _seed_accounts(home: Path) -> None:
    """The accounts the administrator would create with `workbench accounts add`."""
    code = f"""
import datetime as dt
from workbench.access import accounts as a
t = dt.date.fromisoformat("{TODAY.isoformat()}")
a.add_organisation("Métropole Européenne de Lille", "intercommunality", dt.date(2021, 3, 1))
a.add_organisation("Ville de Roubaix", "commune", dt.date(2021, 5, 2))
a.add_organisation("Bureau Études Nord", "consultancy", dt.date(2024, 1, 10))
mel, rbx = "Métropole Européenne de Lille", "Ville de Roubaix"
a.add_account("admin", "a.dmin@lillemetropole.fr", "Admin MEL", mel, "administrator")
a.add_account("ana", "a.lyste@lillemetropole.fr", "Ana Lyste", mel, "analyst")
a.add_account("part", "p.artenaire@ville-roubaix.fr", "Paul Artenaire", rbx, "partner")
a.add_account("cal", "c.ommission@ville-roubaix.fr", "Claire Al", rbx, "commission")
a.add_account("bloque", "b.loque@ville-roubaix.fr", "Bruno Loque", rbx, "partner")
a.add_account("attente", "a.ttente@ville-roubaix.fr", "Anne Attente", rbx, "partner")
a.add_account("gen", "pole@ville-roubaix.fr", "Pôle habitat", rbx, "partner")
a.add_account("tiers", "t.iers@ben.fr", "Tom Iers", "Bureau Études Nord", "third_party",
              acts_as="analyst", end_date=t - dt.timedelta(days=1), today=t - dt.timedelta(days=90))
a.add_account("vieux", "v.ieux@ville-roubaix.fr", "Victor Ieux", rbx, "partner",
              today=t - dt.timedelta(days=400))
a.add_account("parti", "p.arti@ville-roubaix.fr", "Pia Arti", rbx, "partner")
a.deactivate("parti", "départ de la collectivité")
"""
    env = {**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_USER": "admin"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)


def _kill_tree(proc: subprocess.Popen) -> None:
    """End the hub's process group, then the servers and kernels it started in their own
    sessions (collected before, since they are re-parented once the hub is gone)."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            continue


class Hub:
    def __init__(self, url: str) -> None:
        self.url = url

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=True, timeout=60)

    @staticmethod
    def xsrf(client: httpx.Client, page: str) -> str:
        text = client.get(page).text
        return re.search(r'name="_xsrf" value="([^"]+)"', text).group(1)

    def signup(self, username: str, email: str | None = None) -> httpx.Response:
        with self.client() as c:
            token = self.xsrf(c, "/hub/signup")
            return c.post("/hub/signup", data={
                "username": username, "email": email or EMAILS.get(username, ""),
                "signup_password": PASSWORD, "signup_password_confirmation": PASSWORD,
                "_xsrf": token})

    def login(self, username: str, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
        c = self.client()
        token = self.xsrf(c, "/hub/login")
        r = c.post("/hub/login", data={"username": username, "password": password, "_xsrf": token},
                   follow_redirects=False)
        return c, r


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    _ensure_proxy()
    home = tmp_path_factory.mktemp("hub_home")
    _seed_accounts(home)
    port, hub_port, api_port = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "WORKBENCH_HOME": str(home),
           # the rules tightened after "gen" was created: "pole@" is now a generic address
           "WORKBENCH_GENERIC_LOCAL_PARTS": "pole"}
    env.pop("WORKBENCH_DB_URL", None)
    _LOGS.append(home / "hub.log")
    log = open(home / "hub.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(DEPLOY / "jupyterhub_config.py"),
         f"--JupyterHub.bind_url=http://127.0.0.1:{port}", f"--JupyterHub.hub_port={hub_port}",
         f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{api_port}"],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (home / "hub.log").read_text()
            try:
                if httpx.get(url + "/hub/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (home / "hub.log").read_text()
            time.sleep(0.5)
        h = Hub(url)
        for user in ("admin", "ana", "part", "cal", "bloque", "attente", "gen", "tiers", "vieux"):
            r = h.signup(user)
            assert r.status_code == 200, (user, r.text[-2000:])
        admin, r = h.login("admin")
        assert r.status_code == 302, html.unescape(r.text)
        for user in ("ana", "part", "cal", "bloque", "gen", "tiers", "vieux"):
            assert admin.get(f"/hub/authorize/{user}").status_code == 200
        admin.close()
        h.home = home  # type: ignore[attr-defined]
        yield h
    finally:
        _kill_tree(proc)
        log.close()


def _refusal(r: httpx.Response) -> str:
    assert r.status_code == 403, r.status_code
    return html.unescape(r.text)


def hub_log(c: httpx.Client) -> str:
    return next(Path(p).read_text()[-3000:] for p in _LOGS)


_LOGS: list[Path] = []


def _wait_ready(c: httpx.Client, user: str, path: str) -> httpx.Response:
    assert c.get(f"/hub/spawn/{user}").status_code < 500
    deadline = time.monotonic() + 120
    while True:
        r = c.get(f"/user/{user}/{path}")
        if r.status_code == 200 and r.url.path.startswith(f"/user/{user}/"):
            return r
        assert time.monotonic() < deadline, (r.status_code, r.url, hub_log(c))
        time.sleep(1)


def test_signup_needs_a_workbench_account_and_its_address(hub: Hub) -> None:
    r = hub.signup("intrus", email="intrus@ville-roubaix.fr")
    assert "Aucun compte de l'atelier" in _refusal(r)
    r = hub.signup("parti", email="p.arti@ville-roubaix.fr")
    assert "Ce compte est désactivé" in _refusal(r)
    r = hub.signup("part", email="quelqu.un@ville-roubaix.fr")  # someone who knows a login
    assert "ne correspond pas à celle du compte" in _refusal(r)


def test_refusals_have_clear_french_messages(hub: Hub) -> None:
    cases = {
        "gen": "adresse générique",
        "tiers": f"a pris fin le {TODAY - dt.timedelta(days=1):%d/%m/%Y}",
        "vieux": "plus d'un an",
        "parti": BAD_LOGIN,  # deactivated before sign-up: it could not even sign up
        "attente": "pas encore été validée",
    }
    for user, message in cases.items():
        c, r = hub.login(user)
        assert message in _refusal(r), user
        c.close()
    c, r = hub.login("ana", password="mauvais-mot-de-passe")
    assert BAD_LOGIN in _refusal(r)
    c.close()


BAD_LOGIN = "Identifiant ou mot de passe incorrect."


def test_deactivated_account_refused_even_with_password(hub: Hub) -> None:
    c, r = hub.login("bloque")
    assert r.status_code == 302
    c.close()
    env = {**os.environ, "WORKBENCH_HOME": str(hub.home), "WORKBENCH_USER": "admin"}  # type: ignore[attr-defined]
    subprocess.run([sys.executable, "-m", "workbench.cli", "accounts", "deactivate", "bloque",
                    "--motif", "départ"], env=env, check=True, capture_output=True, timeout=120)
    c, r = hub.login("bloque")
    assert "Ce compte a été désactivé" in _refusal(r) and "départ" in r.text
    c.close()


def test_lock_out_after_repeated_failures(hub: Hub) -> None:
    for _ in range(5):
        c, r = hub.login("vieux", password="faux-mot-de-passe")
        c.close()
    c, r = hub.login("vieux")
    assert "Trop de tentatives" in _refusal(r)
    c.close()


def test_analyst_gets_jupyterlab(hub: Hub) -> None:
    c, r = hub.login("ana")
    assert r.status_code == 302
    page = _wait_ready(c, "ana", "lab")
    assert "JupyterLab" in page.text
    assert c.get("/user/ana/api/kernelspecs").status_code == 200
    c.close()


def test_partner_gets_voila_only(hub: Hub) -> None:
    c, r = hub.login("part")
    assert r.status_code == 302
    _wait_ready(c, "part", "voila/static/voila.js")
    assert "Voilà" in c.get("/user/part/").text
    listing = c.get("/user/part/voila/api/contents/").json()
    assert "portail.ipynb" in {item["name"] for item in listing["content"]}
    assert c.get("/user/part/lab").status_code == 404
    assert c.get("/user/part/tree").status_code == 404
    assert c.get("/user/part/api/kernelspecs").status_code == 404
    assert c.get("/user/part/terminals/1").status_code == 404
    xsrf = next((k.value for k in c.cookies.jar
                 if k.name == "_xsrf" and k.path.startswith("/user/part")), "")
    started = c.post("/user/part/api/kernels", json={"name": "python3"},
                     headers={"X-XSRFToken": xsrf})
    assert started.status_code in (404, 405)
    # nor anyone else's server (403 if running, 404 if not)
    other = c.get("/user/ana/lab")
    assert other.status_code in (403, 404) and "JupyterLab" not in other.text
    c.close()


def test_commission_member_gets_the_residence_sheet_only(hub: Hub) -> None:
    c, r = hub.login("cal")
    assert r.status_code == 302
    _wait_ready(c, "cal", "voila/static/voila.js")
    assert "Voilà" in c.get("/user/cal/").text  # OAuth login to the server, then its API
    listing = c.get("/user/cal/voila/api/contents/").json()
    assert {item["name"] for item in listing["content"]} == {"fiche_residence.ipynb"}
    assert c.get("/user/cal/lab").status_code == 404
    assert c.get("/user/cal/voila/render/portail.ipynb").status_code == 404
    c.close()
