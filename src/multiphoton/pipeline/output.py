"""The output folder: claimed, checked and written so that nothing a user owns is lost.

Rules (docs/contract-extensions.md, "Output folder"):

- Every folder multiphoton writes holds a marker file, :data:`MARKER` (a folder written
  before the marker existed is recognised by holding only multiphoton's output files).
- ``--out`` must not exist, or be an empty folder; ``force=True`` replaces it only if it
  holds the marker, and never when it is, or contains, the folder of the manifest or of
  any input file (the error names the input inside).
- A run claims ``--out`` exclusively with a lock file beside it (``.NAME.lock``, created
  atomically with ``O_CREAT | O_EXCL``); a second writer is refused. A lock or temporary
  folder left by a killed run (its process no longer exists) is removed by the next run,
  which says so.
- Everything is written into a temporary sibling folder first and renamed into place, so
  a failure (a full disk, a read-only folder) leaves no half-written output.

Every refusal is an :class:`~multiphoton.errors.OutputError` (exit status 2).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .. import __version__
from ..errors import OutputError
from ..results import Results

__all__ = ["MARKER", "check_output", "claim_output", "mark_output", "write_outputs", "write_report_outputs"]

log = logging.getLogger(__name__)

MARKER = ".multiphoton-output"
"""Name of the marker file in every output folder multiphoton writes."""

_HELD: dict[tuple[Path, int], "_Claim"] = {}  # claims held, by (resolved --out, thread id)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:  # not a process id (0 and negatives name process groups)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except (OverflowError, ValueError):
        return False
    return True


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def _owner(text: str) -> tuple[int | None, str]:
    try:
        doc = json.loads(text)
        return int(doc["pid"]), str(doc.get("host", ""))
    except (ValueError, KeyError, TypeError):
        return None, ""


def _is_stale(pid: int | None, host: str) -> bool:
    """A lock or temporary folder whose writer (pid on this host) no longer runs."""
    return pid is not None and host == socket.gethostname() and not _pid_alive(pid)


def _os_error(exc: OSError, out: Path, doing: str) -> OutputError:
    reason = exc.strerror or str(exc)
    return OutputError(f"--out {out}: cannot {doing} ({reason}: {exc.filename or out.parent}); "
                       "choose a writable location with free space for --out.")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output(out, *, force: bool = False, protect: Iterable = (), label: str = "--out") -> Path:
    """Refuse an output folder that may not be written, before any analysis runs.

    Parameters
    ----------
    out : path-like
        The output folder.
    force : bool
        Allow replacing a non-empty folder written by multiphoton (it holds :data:`MARKER`).
    protect : iterable of path-like
        The manifest and every input file: a folder holding one of them is never replaced.
    label : str
        How the messages name the folder (the command-line option).

    Returns
    -------
    Path
        ``out``, resolved.

    Raises
    ------
    OutputError
        ``out`` is a file, is non-empty without ``force``, is not a multiphoton output
        folder, or contains an input.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_output(d / "new") == (d / "new").resolve()
    True
    >>> _ = (d / "data.csv").write_text("x")
    >>> check_output(d, force=True, protect=[d / "data.csv"])
    Traceback (most recent call last):
    ...
    multiphoton.errors.OutputError: ...
    """
    out = Path(out).resolve()
    for p in protect:
        p = Path(p).resolve()
        if _inside(p, out):
            raise OutputError(
                f"{label} {out} contains an input of this run ({p}); multiphoton never writes over or "
                "replaces a folder holding the manifest or a data file. Choose an output folder "
                "outside the campaign's folders, e.g. --out <campaign>/../results.")
    if not out.exists():
        if out.is_symlink():
            raise OutputError(f"{label} {out} is a broken symbolic link; remove it or choose another {label}.")
        return out
    if not out.is_dir():
        raise OutputError(f"{label} {out} exists and is not a folder; choose another {label}.")
    try:
        empty = not any(out.iterdir())
    except OSError as exc:
        raise _os_error(exc, out, "list the folder") from None
    if empty:
        return out
    if not force:
        hint = " or pass --force to replace a folder that multiphoton wrote" if label == "--out" else ""
        raise OutputError(f"{label} {out} exists and is not empty; choose another {label}{hint}.")
    if not _written_by_multiphoton(out):
        raise OutputError(
            f"{label} {out} was not written by multiphoton (it has no {MARKER} marker), so --force will "
            f"not replace it; choose another {label}, or move its contents away yourself.")
    return out


_LEGACY_NAMES = frozenset({"results.json", "plot_data.json", "manifest.toml", "table1.csv", "table2.csv",
                           "report.html", "figures"})


def _written_by_multiphoton(out: Path) -> bool:
    """The folder holds the marker, or is an output of a version before the marker: only the
    files multiphoton writes, with a results.json of its schema."""
    if (out / MARKER).is_file():
        return True
    try:
        names = {p.name for p in out.iterdir()}
        doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    figures = out / "figures"
    if figures.exists() and (not figures.is_dir() or any(p.suffix not in (".png", ".svg")
                                                         for p in figures.iterdir())):
        return False
    return names <= _LEGACY_NAMES and isinstance(doc, dict) and doc.get("schema") == "multiphoton.results/1"


class _Claim:
    """An exclusive claim on one output folder (a lock file beside it)."""

    def __init__(self, out: Path, lock: Path) -> None:
        self.out, self.lock, self.depth = out, lock, 1
        self.key = (out, threading.get_ident())

    def release(self) -> None:
        self.depth -= 1
        if self.depth == 0:
            _HELD.pop(self.key, None)
            with contextlib.suppress(OSError):
                self.lock.unlink()


def _tmp_pid(d: Path) -> int | None:
    """The pid in a temporary folder's name ``.NAME.tmp-PID-XXXX`` (None if not ours)."""
    try:
        return int(d.name.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return None


def _clean_stale(out: Path, say: Callable[[str], None]) -> None:
    """Remove temporary folders that a killed run left beside ``out`` (and say so).

    A ``.NAME.tmp-PID-…`` folder is removed when it holds the marker of process PID (or
    is empty) and PID no longer runs. A ``.NAME.old-PID-…`` folder holds a previous
    output moved aside just before the new one was renamed into place: it is put back
    when ``out`` is missing (the run died between the two renames), else removed.
    """
    here = socket.gethostname()
    siblings = sorted(out.parent.iterdir())  # not glob: a name may hold [, * or ?
    for d in (p for p in siblings if p.name.startswith(f".{out.name}.tmp-")):
        pid = _tmp_pid(d)
        if pid is None or not d.is_dir() or d.is_symlink() or _pid_alive(pid):
            continue
        marker = d / MARKER
        try:
            ours = (_owner(marker.read_text(encoding="utf-8")) == (pid, here) if marker.is_file()
                    else not any(d.iterdir()))
        except (OSError, UnicodeDecodeError):
            ours = False
        if ours:
            shutil.rmtree(d, ignore_errors=True)
            say(f"removed {d}, the temporary folder of an interrupted run (pid {pid}).")
    for d in (p for p in siblings if p.name.startswith(f".{out.name}.old-")):
        pid = _tmp_pid(d)
        if pid is None or not d.is_dir() or d.is_symlink() or _pid_alive(pid):
            continue
        kept = d / out.name
        if kept.is_dir() and (kept / MARKER).is_file() and not out.exists():
            os.replace(kept, out)
            say(f"restored {out} from {d}, where an interrupted run (pid {pid}) had moved it.")
        if not (kept.exists() and not (kept / MARKER).is_file()):
            shutil.rmtree(d, ignore_errors=True)
            say(f"removed {d}, the previous output set aside by an interrupted run (pid {pid}).")


@contextlib.contextmanager
def claim_output(out, *, force: bool = False, protect: Iterable = (),
                 say: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Check ``out`` (:func:`check_output`) and hold an exclusive claim on it meanwhile.

    A claim this thread already holds is re-entered (so :func:`write_outputs` inside
    a claimed block does not refuse its own run); another thread or process is refused. A lock whose process no longer
    exists is taken over, and temporary folders of killed runs are removed; ``say``
    (default: the log, at WARNING) is told of each.

    Raises
    ------
    OutputError
        ``out`` is refused, another run holds it, or its folder cannot be written.
    """
    say = say or (lambda msg: log.warning("%s", msg))
    protect = list(protect)
    out = check_output(out, force=force, protect=protect)
    held = _HELD.get((out, threading.get_ident()))
    if held is not None:
        held.depth += 1
        try:
            yield out
        finally:
            held.release()
        return
    lock = _lock_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(exc, out, "create the folder") from None
    body = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                       "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")})
    for _attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                text = lock.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            pid, host = _owner(text)
            if _is_stale(pid, host):
                with contextlib.suppress(OSError):
                    lock.unlink()
                say(f"removed {lock}, the lock of an interrupted run (pid {pid}).")
                continue
            who = f"pid {pid} on {host}" if pid is not None else "another run"
            raise OutputError(
                f"--out {out} is being written by another multiphoton run ({who}; lock file {lock}); "
                "wait for it to finish or choose another --out. If no run is active, delete the lock file."
            ) from None
        except OSError as exc:
            raise _os_error(exc, out, "create its lock file") from None
        try:
            os.write(fd, body.encode())
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                lock.unlink()
            raise _os_error(exc, out, "write its lock file") from None
        os.close(fd)
        break
    else:  # pragma: no cover - a stale lock re-appeared between two attempts
        raise OutputError(f"--out {out}: cannot take the lock {lock}; try again.")
    claim = _Claim(out, lock)
    _HELD[claim.key] = claim
    try:
        _clean_stale(out, say)
        # checked again under the claim: another run may have written --out meanwhile
        check_output(out, force=force, protect=protect)
        yield out
    finally:
        claim.release()


def mark_output(folder) -> None:
    """Write the :data:`MARKER` file into ``folder`` (a folder multiphoton writes into)."""
    (Path(folder) / MARKER).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                                   "software": f"multiphoton {__version__}"}) + "\n",
                                       encoding="utf-8")


def _write_files(results: Results, tmp: Path, report, figures=None) -> None:
    (tmp / "results.json").write_text(json.dumps(results.to_json(), indent=2, allow_nan=False) + "\n",
                                      encoding="utf-8")
    (tmp / "plot_data.json").write_text(json.dumps(results.plots_to_json(), allow_nan=False) + "\n",
                                        encoding="utf-8")
    (tmp / "manifest.toml").write_text(results.manifest_text, encoding="utf-8")
    if report:
        from ..report import write_report

        # ``report`` is True (the default figure formats) or the formats, e.g. ("png",)
        write_report(results, tmp, stream=figures, **({} if report is True else {"formats": tuple(report)}))


def write_outputs(results: Results, out_dir, *, force: bool = False, report=True,
                  say: Callable[[str], None] | None = None, figures=None) -> dict[str, Path]:
    """Write results.json, plot_data.json, manifest.toml and the report into ``out_dir`` atomically.

    The folder is claimed (:func:`claim_output`, with ``results.sources`` — the manifest
    and the input files — protected), everything is written to a temporary sibling
    folder with the :data:`MARKER` file, and that folder is renamed into place at the end,
    so a failure leaves no half-written output and the previous output intact.

    Parameters
    ----------
    results : Results
    out_dir : path-like
        Output folder; must not exist or be empty, unless ``force`` (then a folder that
        multiphoton wrote, holding no input, is replaced).
    force : bool
    report : bool or sequence of str
        Also write tables, figures and report.html: True (figures as PNG and SVG), False
        (results only), or the figure formats, e.g. ``("png",)`` (``--figures``).
    say : callable, optional
        Told of stale locks and temporary folders removed (default: the log).
    figures : FigureStream, optional
        The stream that drew the figures while the analysis ran (with ``report``).

    Returns
    -------
    dict of str to Path
        Every file written, by name (the marker excluded).

    Raises
    ------
    OutputError
        The folder is refused (see the module's rules), claimed by another run, or
        cannot be written (read-only, full); nothing is left half-written.
    """
    protect = list(getattr(results, "sources", ()) or ())
    with claim_output(out_dir, force=force, protect=protect, say=say) as out:
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
        except OSError as exc:
            raise _os_error(exc, out, "create a temporary folder beside it") from None
        try:
            mark_output(tmp)
            _write_files(results, tmp, report, figures)
            if out.exists() and any(out.iterdir()):
                trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
                os.replace(out, trash / out.name)
                os.replace(tmp, out)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(tmp, out)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise _os_error(exc, out, "write the output") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return {p.name: p for p in out.iterdir() if p.name != MARKER}


def write_report_outputs(results: Results, out_dir, *, home, formats=None) -> dict[str, Path]:
    """``multiphoton report``: write tables, figures and report.html again.

    Into ``home`` (the folder of results.json) when ``out_dir`` is None or that folder;
    elsewhere only into a new, empty or multiphoton-written folder (claimed meanwhile,
    and marked), so that a user's files are never overwritten.

    Raises
    ------
    OutputError
        The folder is refused or claimed by another run, or cannot be written.
    """
    from ..report import write_report as _write_report

    def write_report(results, out):
        return _write_report(results, out, **({} if formats is None else {"formats": tuple(formats)}))

    home = Path(home).resolve()
    out = home if out_dir is None else Path(out_dir).resolve()
    try:
        if out == home:
            return write_report(results, out)
        with claim_output(out, force=True) as out:
            out.mkdir(exist_ok=True)
            paths = write_report(results, out)
            mark_output(out)
            return paths
    except OSError as exc:
        raise _os_error(exc, out, "write the report") from None
