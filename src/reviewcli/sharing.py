"""A team on one database: group mode, and refusing a network filesystem.

SQLite's WAL mode keeps its index in shared memory (the ``-shm`` file), which works only
when every process using the database runs on the same host. A database on a network
share (SMB/CIFS, NFS, …) opened from several machines can be corrupted. The supported
set-ups are one host holding the database on a local disk, used by several admins each
with their own account: at that host's terminal, through SSH, or through a terminal
server. ``init --group GROUP`` makes the database, its WAL files, backups and outputs
group-readable and writable for the unit's group, and sets the folder so new files
inherit the group.
"""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

from .errors import ReviewError

# The mount table; tests point it at a fake one.
MOUNT_TABLE = "/proc/self/mounts"

NETWORK_FILESYSTEMS = {
    "nfs",
    "nfs4",
    "cifs",
    "smb",
    "smb2",
    "smb3",
    "smbfs",
    "ncpfs",
    "afs",
    "9p",
    "ceph",
    "glusterfs",
    "gfs2",
    "ocfs2",
    "lustre",
    "davfs",
    "fuse.sshfs",
    "fuse.davfs",
    "fuse.rclone",
    "fuse.glusterfs",
    "fuse.s3fs",
    "fuse.gcsfuse",
    "fuse.smbnetfs",
    "beegfs",
    "gpfs",
}

SUPPORTED = (
    "keep the database on a local disk of one host and let each admin use it there, "
    "with their own account, at the terminal, through SSH or through a terminal server "
    "(see 'Sharing one database' in the README)"
)


def _unescape(field: str) -> str:
    """Mount table fields escape spaces and the like as octal (\\040)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mount_of(path: str | os.PathLike, table: str | None = None) -> tuple[str, str] | None:
    """(mount point, filesystem type) of the mount holding ``path``, from the mount
    table; None when the table cannot be read (not Linux)."""
    try:
        with open(table or MOUNT_TABLE, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    real = os.path.realpath(path)
    best: tuple[str, str] | None = None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point, fstype = _unescape(parts[1]), parts[2]
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best[0])):
            best = (point, fstype)
    return best


def network_filesystem(path: str | os.PathLike) -> tuple[str, str] | None:
    """(mount point, type) when ``path`` lies on a network filesystem, else None."""
    found = mount_of(Path(path).parent if not Path(path).is_dir() else path)
    if found and (found[1].lower() in NETWORK_FILESYSTEMS or found[1].lower().startswith("nfs")):
        return found
    return None


def refuse_network_filesystem(path: str | os.PathLike) -> None:
    found = network_filesystem(path)
    if found:
        point, fstype = found
        raise ReviewError(
            f"{str(path)!r} is on a network filesystem ({fstype} mounted at {point}); SQLite's "
            "WAL mode is not safe there, since every admin's process must run on the host that "
            f"holds the file. Nothing was changed. Supported: {SUPPORTED}"
        )


# --- group mode -------------------------------------------------------------------------------


def group_id(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise ReviewError(
            f"no group {name!r} on this host; create it first (groupadd {name}) and add "
            "each admin's account to it"
        ) from None


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def check_group_folder(db: Path, gid: int) -> None:
    """Refuse group mode before anything is created: the account must be in the group, and
    the database's folder must be the unit's own (not /tmp, not a home folder) and one the
    account may set."""
    if os.getuid() != 0 and gid not in os.getgroups():
        raise ReviewError(
            f"your account is not a member of the group {group_name(gid)!r}; add it "
            f"(usermod -aG {group_name(gid)} $USER) and log in again"
        )
    folder = Path(os.path.realpath(db)).parent
    if not folder.is_dir():
        raise ReviewError(f"folder {str(folder)!r} does not exist")
    st = folder.stat()
    home = os.path.realpath(os.path.expanduser("~"))
    if st.st_mode & (stat.S_ISVTX | stat.S_IWOTH) or str(folder) in (home, "/"):
        raise ReviewError(
            f"the database is in {str(folder)!r}, a folder others share or your home; for "
            "group mode keep it in a folder of its own for the unit (e.g. /srv/iru) and run "
            "init --group there"
        )
    mine = st.st_uid == os.getuid() or os.getuid() == 0
    if not mine and not (st.st_mode & stat.S_ISGID and st.st_gid == gid):
        raise ReviewError(
            f"the folder {str(folder)!r} is not yours, so its group cannot be set; ask its "
            f"owner to run: chgrp {group_name(gid)} {folder} && chmod g+rwxs {folder}"
        )


def apply_group(db: Path, gid: int) -> list[str]:
    """Make the database, its companions and its folder the group's: files 0660, the folder
    setgid (new files inherit the group) and group-writable. Returns what was changed."""
    from .files import DATABASE_SUFFIXES

    check_group_folder(db, gid)
    changed = []
    for suffix in DATABASE_SUFFIXES:
        path = Path(f"{db}{suffix}")
        if path.is_symlink() or not path.exists():
            continue
        os.chown(path, -1, gid)
        os.chmod(path, 0o660)
        changed.append(str(path))
    folder = Path(os.path.realpath(db)).parent
    st = folder.stat()
    if st.st_uid == os.getuid() or os.getuid() == 0:
        os.chown(folder, -1, gid)
        os.chmod(folder, stat.S_IMODE(st.st_mode) | stat.S_ISGID | stat.S_IRWXG)
        changed.append(str(folder))
    return changed


def group_ok(path: Path, gid: int) -> bool:
    st = path.stat()
    return st.st_gid == gid and not (st.st_mode & stat.S_IRWXO)
