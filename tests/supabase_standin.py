"""A Supabase project for tests: a real PostgreSQL with Supabase's roles, behind a small
PostgREST-compatible server.

No PostgREST server can be installed here (Debian, PyPI and npm carry only its clients), so
:func:`standin` fronts the real database with a Starlette app that answers as Supabase's
gateway, PostgREST, Storage and GoTrue document: ``apikey`` checked first (401 "No API key
found in request" / "Invalid API key"), the role taken from the bearer JWT's ``role`` claim
(HS256, verified), every query run as that role with ``SET LOCAL ROLE`` so PostgreSQL's own
grants and Row Level Security decide what it sees; ``Content-Range`` ``0-2/3`` or ``*/0``
with ``Prefer: count=exact``; PostgREST's error bodies (``{"code", "details", "hint",
"message"}``: 42501 as 401 for anon, PGRST205 as 404); the root's OpenAPI listing only what
the role may select (``openapi-mode = follow-privileges``); Storage's ``POST
/storage/v1/object/list/<bucket>`` (the top level of a prefix, folders as ``id: null``, an
unknown bucket a 400 with ``"Bucket not found"``); and GoTrue's ``GET /auth/v1/settings``.

PostgreSQL (Debian's ``postgresql``; ``.ci/run`` installs it) runs from a temporary directory
on a unix socket only, as the ``postgres`` user when the tests run as root.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["SCHEMA", "Postgres", "Project", "anon_key", "auth_settings", "postgres", "standin"]

# Debian installs each major version side by side; the newest one runs the tests.
_INSTALLED = sorted(
    Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
)
BIN = _INSTALLED[-1].parent if _INSTALLED else Path("/usr/lib/postgresql/missing/bin")
ROLES = ("anon", "authenticated")

# A Supabase project's tables: each correct unless `leaky` says otherwise.
SCHEMA = """
create schema if not exists storage;
grant usage on schema public, storage to anon, authenticated;

-- Users can only see their own data (RLS on; the leaky project forgot it).
create table public.profiles (id uuid primary key, email text, note text);
insert into public.profiles values
  ('00000000-0000-0000-0000-000000000001', 'ada@example.com', '{row_marker} profile one'),
  ('00000000-0000-0000-0000-000000000002', 'bob@example.com', '{row_marker} profile two'),
  ('00000000-0000-0000-0000-000000000003', 'cy@example.com', '{row_marker} profile three');
{profiles_rls}
create policy "own profile" on public.profiles for select to authenticated
  using (id::text = current_setting('request.jwt.claims', true)::json->>'sub');

-- Published posts are public on purpose.
create table public.posts (id int primary key, title text, published boolean);
insert into public.posts values (1, '{row_marker} hello', true), (2, 'draft', false);
alter table public.posts enable row level security;
create policy "published posts" on public.posts for select to anon using (published);

-- A table nobody declared: listed by the REST root, and open in the leaky project.
create table public.notes (id int primary key, body text);
insert into public.notes values (1, '{row_marker} note');
{notes_rls}

-- No grant at all for the public roles: PostgREST answers 401 (42501).
create table public.audit_log (id int primary key, action text);
insert into public.audit_log values (1, '{row_marker} audit');

grant select on public.profiles, public.posts, public.notes to anon, authenticated;

create table storage.buckets (id text primary key, public boolean not null);
insert into storage.buckets values ('avatars', true), ('uploads', false);
create table storage.objects (
  id uuid primary key default gen_random_uuid(), bucket_id text references storage.buckets,
  name text not null, owner uuid);
insert into storage.objects (bucket_id, name) values
  ('avatars', 'ada.png'), ('avatars', 'bob.png'),
  ('uploads', '{row_marker}-invoice.pdf'), ('uploads', 'contracts/{row_marker}.pdf');
alter table storage.objects enable row level security;
grant select on storage.objects to anon, authenticated;
create policy "public avatars" on storage.objects for select to anon
  using (bucket_id = 'avatars');
{uploads_policy}
"""
RLS = "alter table public.{table} enable row level security;"
LEAKY_UPLOADS = (
    'create policy "anyone reads uploads" on storage.objects for select to anon '
    "using (bucket_id = 'uploads');"
)


@dataclass
class Postgres:
    """A running PostgreSQL cluster: its socket directory and how to reach a database."""

    socket_dir: Path

    def conninfo(self, dbname: str) -> str:
        return f"host={self.socket_dir} dbname={dbname} user=postgres"

    def create(self, dbname: str, *, leaky: bool, row_marker: str) -> None:
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(dbname)))
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
        script = SCHEMA.format(
            row_marker=row_marker,
            profiles_rls="" if leaky else RLS.format(table="profiles"),
            notes_rls="" if leaky else RLS.format(table="notes"),
            uploads_policy=LEAKY_UPLOADS if leaky else "",
        )
        with psycopg.connect(self.conninfo(dbname), autocommit=True) as conn:
            conn.execute(script.encode())


def _as_postgres(args: list[str]) -> list[str]:
    """Run as the ``postgres`` user when we are root (PostgreSQL refuses to run as root)."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres() -> Iterator[Postgres]:
    """initdb and start a cluster in a temporary directory; stop and remove it after."""
    if not (BIN / "initdb").exists():
        pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql); .ci/run does")
    root = Path(tempfile.mkdtemp(prefix="prodready-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    data = root / "data"
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(BIN / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-c listen_addresses='' -k {root} -c fsync=off -c max_connections=40"
        subprocess.run(
            _as_postgres(
                [
                    str(BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-w",
                    "-l",
                    str(root / "log"),
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster = Postgres(root)
        with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as conn:
            for role in ROLES:
                conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
        yield cluster
    finally:
        subprocess.run(
            _as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


# -- keys: HS256 JWTs, as Supabase's legacy anon and service_role keys are -------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def anon_key(jwt_secret: bytes, role: str = "anon") -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = _b64url(json.dumps({"iss": "supabase", "ref": "standin", "role": role}).encode())
    signing = f"{header}.{claims}".encode()
    return f"{header}.{claims}.{_b64url(hmac.new(jwt_secret, signing, hashlib.sha256).digest())}"


def _role_of(token: str, jwt_secret: bytes) -> str | None:
    try:
        header, claims, signature = token.split(".")
        expected = _b64url(
            hmac.new(jwt_secret, f"{header}.{claims}".encode(), hashlib.sha256).digest()
        )
        if not hmac.compare_digest(signature, expected):
            return None
        role = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["role"]
    except (ValueError, KeyError, TypeError):
        return None
    return role if role in ROLES else None


# -- the server --------------------------------------------------------------------------------


def _pgrst_error(status: int, code: str, message: str, hint: str | None = None) -> Response:
    body = {"code": code, "details": None, "hint": hint, "message": message}
    return JSONResponse(body, status_code=status)


@dataclass
class Project:
    """One Supabase project: its database, keys, auth settings and a log of what it received."""

    conninfo: str
    keys: frozenset[str]
    jwt_secret: bytes
    auth: Mapping[str, Any]
    # The web app in front of the project, when a test wants one: its client bundle.
    bundle: str | None = None
    requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _role(self, request: Request) -> str | Response:
        key = request.headers.get("apikey")
        if not key:
            return JSONResponse({"message": "No API key found in request"}, status_code=401)
        if key not in self.keys:
            return JSONResponse({"message": "Invalid API key"}, status_code=401)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        role = _role_of(bearer or key, self.jwt_secret)
        if role is None:
            return _pgrst_error(401, "PGRST301", "JWSError JWSInvalidSignature")
        return role

    @contextmanager
    def _as(self, role: str) -> Iterator[psycopg.Cursor[Any]]:
        with psycopg.connect(self.conninfo) as conn, conn.cursor() as cur:
            cur.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
            yield cur

    async def root(self, request: Request) -> Response:
        role = self._role(request)
        if isinstance(role, Response):
            return role
        with self._as(role) as cur:
            cur.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'public' and c.relkind in ('r', 'v') "
                "and has_table_privilege(c.oid, 'select') order by 1"
            )
            tables = [row[0] for row in cur.fetchall()]
        paths: dict[str, Any] = {"/": {"get": {"tags": ["Introspection"]}}}
        paths.update({f"/{t}": {"get": {"tags": [t]}} for t in tables})
        return JSONResponse({"swagger": "2.0", "info": {"title": "standin"}, "paths": paths})

    async def table(self, request: Request) -> Response:
        role = self._role(request)
        if isinstance(role, Response):
            return role
        name = request.path_params["table"]
        ident = sql.Identifier("public", name)
        try:
            with self._as(role) as cur:
                cur.execute(
                    "select 1 from information_schema.tables where table_schema = 'public' "
                    "and table_name = %s",
                    (name,),
                )
                if cur.fetchone() is None:
                    return _pgrst_error(
                        404,
                        "PGRST205",
                        f"Could not find the table 'public.{name}' in the schema cache",
                    )
                cur.execute(sql.SQL("select to_jsonb(t) from {} t").format(ident))
                rows = [row[0] for row in cur.fetchall()]
        except psycopg.errors.InsufficientPrivilege as exc:
            return _pgrst_error(
                401 if role == "anon" else 403, "42501", str(exc.diag.message_primary)
            )
        headers = {"content-range": f"0-{len(rows) - 1}/" if rows else "*/"}
        exact = "count=exact" in request.headers.get("prefer", "")
        headers["content-range"] += str(len(rows)) if exact else "*"
        body = b"" if request.method == "HEAD" else json.dumps(rows).encode()
        return Response(body, headers=headers, media_type="application/json")

    async def storage_list(self, request: Request) -> Response:
        role = self._role(request)
        if isinstance(role, Response):
            return role
        bucket = request.path_params["bucket"]
        try:
            search = await request.json()
        except ValueError:
            search = None
        if not isinstance(search, dict) or not isinstance(search.get("prefix"), str):
            return JSONResponse(
                {
                    "statusCode": "400",
                    "error": "Error",
                    "message": "body must have required property 'prefix'",
                },
                status_code=400,
            )
        with psycopg.connect(self.conninfo) as conn:
            if (
                conn.execute("select 1 from storage.buckets where id = %s", (bucket,)).fetchone()
                is None
            ):
                return JSONResponse(
                    {
                        "statusCode": "404",
                        "error": "Bucket not found",
                        "message": "Bucket not found",
                    },
                    status_code=400,
                )
        prefix = search["prefix"].strip("/")
        prefix = f"{prefix}/" if prefix else ""
        with self._as(role) as cur:
            cur.execute(
                "select name from storage.objects where bucket_id = %s and name like %s "
                "order by name",
                (bucket, prefix.replace("%", r"\%") + "%"),
            )
            names = [row[0][len(prefix) :] for row in cur.fetchall()]
        entries: dict[str, dict[str, Any]] = {}
        for name in names:
            top, _, rest = name.partition("/")
            entries.setdefault(
                top, {"name": top, "id": None if rest else "object", "metadata": None}
            )
        limit = int(search.get("limit", 100))
        return JSONResponse(list(entries.values())[:limit])

    async def settings(self, request: Request) -> Response:
        role = self._role(request)
        if isinstance(role, Response):
            return role
        return JSONResponse(dict(self.auth))

    async def home(self, request: Request) -> Response:
        if self.bundle is None:
            return Response("Not Found", status_code=404)
        return HTMLResponse('<h1>App</h1><script src="/static/app.js"></script>')

    async def script(self, request: Request) -> Response:
        if self.bundle is None:
            return Response("Not Found", status_code=404)
        return Response(self.bundle, media_type="text/javascript")

    def asgi(self) -> ASGIApp:
        app = Starlette(
            routes=[
                Route("/", self.home),
                Route("/static/app.js", self.script),
                Route("/rest/v1/", self.root, methods=["GET", "HEAD"]),
                Route("/rest/v1/{table}", self.table, methods=["GET", "HEAD"]),
                Route("/storage/v1/object/list/{bucket}", self.storage_list, methods=["POST"]),
                Route("/auth/v1/settings", self.settings, methods=["GET"]),
            ]
        )

        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                entry = {"method": scope["method"], "path": scope["path"]}
                with self.lock:
                    self.requests.append(entry)
            await app(scope, receive, send)

        return logged


def auth_settings(
    *, autoconfirm: bool, providers: tuple[str, ...] = ("email",), disable_signup: bool = False
) -> dict[str, Any]:
    """GoTrue's public settings, as ``GET /auth/v1/settings`` serves them."""
    known = ("apple", "azure", "email", "github", "google", "phone")
    return {
        "external": {name: name in providers for name in known},
        "disable_signup": disable_signup,
        "mailer_autoconfirm": autoconfirm,
        "phone_autoconfirm": False,
        "sms_provider": "",
        "saml_enabled": False,
    }


def standin(
    cluster: Postgres, dbname: str, *, key: str, jwt_secret: bytes, auth: Mapping[str, Any]
) -> Project:
    return Project(cluster.conninfo(dbname), frozenset({key}), jwt_secret, auth)
