"""Several provinces in one service: which profile answers a caller.

A national or ministry-level deployment serves every province from one process set, so
the service may load several profiles (``--profile`` repeated, ``--profiles-dir``), each
compiled once into its own engine. A caller is answered under exactly one of them:

- a key bound to a profile (``quyche keys create --profile NAME``) under that profile,
  and never another (an ``X-Quyche-Profile`` header naming another is refused, 403);
- a key bound to none, when the service serves one profile or none: under it, as before
  several could be loaded (nothing changes for a single-province service);
- a key bound to none, when the service serves several: the profile named by the
  ``X-Quyche-Profile`` header; without it, an administrator's key is refused with a
  clear error (it must choose), a body's key is answered under the profile that has its
  body (when exactly one has it), else under the regulation alone (its parties are in
  every profile's registry).

Profiles are named by their file's stem (``dak-lak.yaml`` → ``dak-lak``), the name keys
are bound to; two files with one stem are refused at start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from quyche_rules.errors import QuycheError
from quyche_rules.model.profiles import Profile, find_profile
from quyche_rules.service.auth import Principal

#: the request header an unbound key names its profile with
PROFILE_HEADER = "X-Quyche-Profile"

T = TypeVar("T")


class TenantRefused(Exception):
    """The caller cannot be answered under any profile: ``status`` and a one-line detail
    naming the header or the key."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def profile_name(profile: Profile) -> str:
    """How keys and the header name a profile: its file's stem."""
    return Path(profile.file).stem


def profile_refs(
    profile: str | None, profiles: Iterable[str], profiles_dir: str | None
) -> list[str]:
    """Every profile a service is asked to load, in order, without repeats: ``profile``,
    then ``profiles``, then each ``*.yaml`` of ``profiles_dir`` (sorted by name)."""
    refs: list[str] = []
    for ref in (profile, *profiles):
        if ref and ref not in refs:
            refs.append(ref)
    if profiles_dir:
        folder = Path(profiles_dir)
        if not folder.is_dir():
            raise QuycheError(f"--profiles-dir: {profiles_dir}: not a directory")
        for f in sorted(folder.glob("*.yaml")):
            if str(f) not in refs:
                refs.append(str(f))
        if not any(folder.glob("*.yaml")):
            raise QuycheError(f"--profiles-dir: {profiles_dir}: no *.yaml profile in it")
    return refs


def check_names(refs: Iterable[str]) -> None:
    """Refuse two profiles with one name (keys could not tell them apart)."""
    seen: dict[str, str] = {}
    for ref in refs:
        name = find_profile(ref).stem
        if name in seen:
            raise QuycheError(
                f"--profile: {ref} and {seen[name]} have the same name {name!r}; "
                "keys name a profile by its file's stem"
            )
        seen[name] = ref


def _listed(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ", ".join(names[:5])
    return shown + (f", … ({len(names)} in all)" if len(names) > 5 else "")


@dataclass
class Tenants(Generic[T]):
    """What answers each profile (``by_name``) and the caller without one (``default``).

    ``single``: the service was started with at most one profile (its ``default`` is that
    profile's, or the regulation's); ``bodies``: for each body id of a profile, the names
    of the profiles that have it."""

    by_name: Mapping[str, T]
    default: T
    single: bool
    bodies: Mapping[str, tuple[str, ...]]

    def choose(self, who: Principal, asked: str | None) -> T:
        asked = (asked or "").strip() or None
        if asked is not None and asked not in self.by_name:
            served = _listed(self.by_name) or "none"
            raise TenantRefused(
                422,
                f"{PROFILE_HEADER}: this service does not serve profile {asked[:60]!r} "
                f"(it serves: {served})",
            )
        if who.profile is not None:
            if who.profile not in self.by_name:
                raise TenantRefused(
                    403,
                    f"Authorization: the key is bound to profile {who.profile!r}, which this "
                    "service does not serve",
                )
            if asked is not None and asked != who.profile:
                raise TenantRefused(
                    403,
                    f"{PROFILE_HEADER}: the key is bound to profile {who.profile!r}, not {asked!r}",
                )
            return self.by_name[who.profile]
        if asked is not None:
            return self.by_name[asked]
        if self.single:
            return self.default
        if who.admin:
            raise TenantRefused(
                422,
                f"{PROFILE_HEADER}: this service serves {len(self.by_name)} profiles; an "
                "administrator's key names one in this header (or is bound to one: quyche "
                "keys create --admin --profile NAME)",
            )
        homes = self.bodies.get(who.party or "", ())
        if len(homes) == 1:
            return self.by_name[homes[0]]
        if len(homes) > 1:
            raise TenantRefused(
                422,
                f"{PROFILE_HEADER}: the key's body {who.party!r} is in {len(homes)} profiles "
                f"({_listed(homes)}); name one in this header",
            )
        return self.default
