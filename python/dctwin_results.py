"""Reads dctwin results files (HDF5, layout in viz/README.md) into pandas and xarray.

    import dctwin_results as dr
    with dr.open("out/pod.h5") as r:
        r.series_paths()                    # every series: "/site/pue", "/racks/power", ...
        r.frame("/racks/power")             # DataFrame: index time [s], one column per rack path
        r.frame(["/site/grid_power", "/site/pue"])  # 1-D series side by side
        r.series("/site/pue")               # pandas Series
        r.array("/racks/power")             # xarray DataArray, dims (time, racks), attrs units
        r.frame("/site/pue", time="datetime")  # calendar dates for a run on an EPW weather file
        r.events()                          # DataFrame of /events
        r.unit("/racks/power")              # "W"

Every result carries its units: `DataFrame.attrs["units"]` (column -> unit),
`Series.attrs["units"]`, `DataArray.attrs["units"]`. Labels come back as `str` (h5py 3 gives
`bytes` for string datasets). The axes are the file's HDF5 dimension scales: `/time` for the
rows, the labels dataset (`/racks/paths`, ...) for the columns of a 2-D series, so that any
series is labelled without knowing the layout.

A file whose run was killed (status `running`) or stopped is read up to its `rows` attribute,
and so is a file a run is still writing: it is read from a copy (in memory up to
snapshot_max_bytes(); larger ones in an unnamed temporary file in TMPDIR), as the run's last
flush left it. A copy that caught a flush (HDF5 without SWMR then holds a mix of old and new
metadata, and the read fails) is taken again for up to `patience` seconds (8), then
`BeingWritten` says to try again.

Needs Debian's python3-h5py and python3-pandas; `array` also python3-xarray, and the calendar
python3-yaml.
"""

import fcntl
import functools
import io
import os
import re
import shutil
import struct
import tempfile
import time as _time

import h5py
import numpy as np
import pandas as pd

__all__ = ["open", "Results", "calendar_start", "NOMINAL_YEAR", "BeingWritten"]

# The largest file a run is writing that is copied to memory to be read (as dctwin's readers);
# larger ones are copied to a temporary file.
SNAPSHOT_MAX_BYTES = 256 << 20


def snapshot_max_bytes():
    """SNAPSHOT_MAX_BYTES, or the environment's DCTWIN_SNAPSHOT_MAX_BYTES (as dctwin's readers;
    tests lower it)."""
    text = os.environ.get("DCTWIN_SNAPSHOT_MAX_BYTES", "")
    return int(text) if text.isdigit() else SNAPSHOT_MAX_BYTES

# Typical-year weather files mix years and the run's calendar has no February 29: calendar
# dates are given in a non-leap year.
NOMINAL_YEAR = 2001

_TIME_UNITS = {"ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _seconds(text):
    """ "196 d", "364.5d", "90 min", "3600" -> seconds; None if unreadable."""
    m = re.fullmatch(r"\s*([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*([a-z]*)\s*", str(text))
    if not m or m.group(2) not in _TIME_UNITS and m.group(2) != "":
        return None
    return float(m.group(1)) * _TIME_UNITS.get(m.group(2), 1.0)


def calendar_start(site_yaml):
    """Seconds from January 1, 00:00 of the weather year to t = 0 for a run on an EPW file
    (`ambient.kind: epw`, `ambient.start`), from the resolved site text; None without a
    calendar. As `dctwin export` reads it."""
    import yaml

    try:
        site = yaml.safe_load(site_yaml) or {}
    except yaml.YAMLError:
        return None
    ambient = site.get("ambient") if isinstance(site, dict) else None
    if not isinstance(ambient, dict) or ambient.get("kind") != "epw":
        return None
    return _seconds(ambient.get("start", 0))


class BeingWritten(OSError):
    """The file's run is writing it, and every read within the patience met one of its flushes."""


# struct flock on Linux (x86-64 and arm64): l_type, l_whence, l_start, l_len, l_pid.
_FLOCK = "@hhqqi4x"


def _being_written(path):
    # The writer holds an open-file-description write lock on the whole file; F_OFD_GETLK
    # sees it (from this process too, unlike lockf) without taking any lock.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False  # h5py will say why
    try:
        probe = struct.pack(_FLOCK, fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0)
        return struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_OFD_GETLK, probe))[0] != fcntl.F_UNLCK
    except OSError:
        return False
    finally:
        os.close(fd)


def _retrying(method):
    """Runs a read again, from a fresh open, while a run writing the file disturbs it (see the
    module's text). Only the outermost read of nested ones retries."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if self._depth:
            return method(self, *args, **kwargs)
        start, pause, attempts = _time.monotonic(), 0.05, 0
        while True:
            attempts += 1
            self._depth += 1
            live = _being_written(self.path)
            try:
                if self.file is None:
                    self._open()
                return method(self, *args, **kwargs)
            except (OSError, KeyError, RuntimeError) as e:
                if isinstance(e, BeingWritten):
                    raise
                if not _being_written(self.path):
                    if not live:
                        raise
                    # Its run ended meanwhile: the file is final, read it once more.
                    self.close()
                    continue
                waited = _time.monotonic() - start
                if waited >= self.patience:
                    raise BeingWritten("%s is being written by a running dctwin run, and %d reads in %.0f s each "
                                       "met it in the middle of an update; try again (a read that takes longer than the run's "
                                       "simulation.flush_interval cannot succeed while it runs). Last error: %s"
                                       % (self.path, attempts, waited, e)) from e
                self.close()
            finally:
                self._depth -= 1
            _time.sleep(pause)  # past the writer's next flush, soon enough for a reader that met one
            pause = min(2 * pause, 2.0)

    return wrapper


def open(path, patience=8.0):  # noqa: A001 (the module's entry point, like h5py.File)
    """The results file at `path`, for use in a `with` block. `patience` [s]: how long a read
    of a file a run is writing is tried again (see the module's text)."""
    return Results(path, patience)


class Results:
    """A results file opened read-only."""

    def __init__(self, path, patience=8.0):
        self.path = str(path)
        self.patience = float(patience)
        self.file = None
        self._depth = 0
        self.rows = None
        self._first_open()

    def _open(self):
        if _being_written(self.path):
            # A copy takes milliseconds, a read of the file may meet one of the run's flushes.
            with io.open(self.path, "rb") as f:
                if os.fstat(f.fileno()).st_size <= snapshot_max_bytes():
                    self.file = h5py.File(io.BytesIO(f.read()), "r")
                    return
                copy = tempfile.TemporaryFile()  # unnamed: gone when closed
                try:
                    shutil.copyfileobj(f, copy, 4 << 20)
                    copy.seek(0)
                    self.file = h5py.File(copy, "r")
                except BaseException:
                    copy.close()
                    raise
                self._copy = copy
                return
        try:
            # Without HDF5's file lock: a file a run is writing opens (the writer takes none).
            self.file = h5py.File(self.path, "r", locking=False)
        except (TypeError, OSError):
            # An h5py without the option (before 3.5), or the file already open in this
            # process with HDF5's locking (HDF5 refuses a second open with other flags).
            self.file = h5py.File(self.path, "r")

    @_retrying
    def _first_open(self):
        if _text(self.file.attrs.get("format", "")) != "dctwin-results":
            self.close()
            raise ValueError("%s: not a dctwin results file" % self.path)
        self.attrs = {k: (_text(v) if isinstance(v, (bytes, str)) else v) for k, v in self.file.attrs.items()}
        self.status = self.attrs.get("status", "")
        # The valid rows: `rows` (a running or killed file has written more than it counted).
        # Fixed here: a later open of a running file holds these rows unchanged, and more.
        self.rows = min(int(self.attrs.get("rows", len(self.file["time"]))), len(self.file["time"]))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.file is not None:
            self.file.close()
            self.file = None
        if getattr(self, "_copy", None) is not None:
            self._copy.close()
            self._copy = None

    # --- what the file holds ----------------------------------------------------------------
    @_retrying
    def series_paths(self):
        """Every series (numeric, one row per output time), in name order."""
        out = []

        def visit(name, obj):
            if (isinstance(obj, h5py.Dataset) and obj.dtype.kind == "f" and obj.ndim in (1, 2)
                    and obj.maxshape[0] is None and name != "time" and not name.startswith("events/")):
                out.append("/" + name)

        self.file.visititems(visit)
        return out

    def _dataset(self, path):
        path = path if path.startswith("/") else "/" + path
        if path not in self.file or not isinstance(self.file[path], h5py.Dataset):
            raise KeyError("%s: no dataset %s" % (self.path, path))
        return self.file[path]

    @_retrying
    def unit(self, path):
        return _text(self._dataset(path).attrs.get("units", ""))

    @_retrying
    def description(self, path):
        return _text(self._dataset(path).attrs.get("description", ""))

    @_retrying
    def labels(self, path):
        """A labels dataset as a list of str."""
        return list(self._dataset(path).asstr()[()])

    @_retrying
    def text(self, path):
        """A text dataset (e.g. /metadata/site_yaml) as str."""
        return _text(self._dataset(path)[()])

    @_retrying
    def calendar_start(self):
        """See the module's calendar_start(); None without a calendar."""
        if "/metadata/site_yaml" not in self.file:
            return None
        return calendar_start(self.text("/metadata/site_yaml"))

    # --- axes -----------------------------------------------------------------------------
    @_retrying
    def time(self):
        """The output times [s] of the valid rows."""
        return self.file["time"][: self.rows]

    def _time_index(self, time):
        seconds = self.time()
        if time == "s":
            return pd.Index(seconds, name="time [s]")
        if time == "timedelta":
            return pd.TimedeltaIndex(pd.to_timedelta(seconds, unit="s"), name="time")
        if time == "datetime":
            start = self.calendar_start()
            if start is None:
                raise ValueError("%s: the run has no calendar (it does not run on an EPW weather file)" % self.path)
            return self._dates(start, seconds)
        raise ValueError("time must be 's', 'timedelta' or 'datetime', not %r" % (time,))

    @staticmethod
    def _dates(start, seconds):
        # A 365-day year that wraps after December 31, as a whole-year EPW file does.
        since_jan1 = np.mod(start + np.asarray(seconds, dtype=float), 365 * 86400.0)
        base = pd.Timestamp(year=NOMINAL_YEAR, month=1, day=1)
        return pd.DatetimeIndex(base + pd.to_timedelta(np.round(since_jan1, 6), unit="s"), name="Date/Time")

    def _column_axis(self, dataset):
        """(dimension name, labels) of a 2-D series' columns, from its dimension scale (the
        `columns` attribute for files written before scales were added)."""
        scales = dataset.dims[1].values() if dataset.ndim == 2 else []
        if scales:
            scale = scales[0]
            name = scale.name.lstrip("/")
        elif "columns" in dataset.attrs:
            name = _text(dataset.attrs["columns"]).lstrip("/")
            scale = self.file[name]
        else:
            return "column", [str(k) for k in range(dataset.shape[1])]
        labels = list(scale.asstr()[()]) if scale.dtype.kind in "OSU" else list(scale[()])
        return re.sub(r"/paths$", "", name), labels

    # --- values -----------------------------------------------------------------------------
    def _values(self, dataset):
        values = dataset[: self.rows]
        if self.rows > 0 and _being_written(self.path) and (
                len(values) < self.rows or not self._chunk_written(dataset, self.rows - 1)):
            # A copy that caught a flush half done: the series' new length, or the index of its
            # newest chunks, not yet written (HDF5 would give the newest rows as NaN). Read again.
            raise OSError("%s: %s: its last rows are not yet on disk in this copy: caught in the middle of "
                          "an update" % (self.path, dataset.name))
        if len(values) < self.rows:  # a killed run's shorter series: NaN up to the valid rows
            pad = np.full((self.rows - len(values),) + values.shape[1:], np.nan)
            values = np.concatenate([values, pad])
        return values

    @staticmethod
    def _chunk_written(dataset, row):
        try:
            info = dataset.id.get_chunk_info_by_coord((row,) + (0,) * (dataset.ndim - 1))
        except (AttributeError, TypeError):  # an h5py or HDF5 without it (before 3.0, 1.10.5)
            return True
        except (OSError, ValueError, KeyError):  # beyond the extent in this copy
            return False
        return info.byte_offset is not None

    @_retrying
    def series(self, path, time="s"):
        """A 1-D series as a pandas Series indexed by time (see frame())."""
        d = self._dataset(path)
        if d.ndim != 1:
            raise ValueError("%s is a 2-D series: use frame() or array()" % d.name)
        s = pd.Series(self._values(d), index=self._time_index(time), name=d.name)
        s.attrs["units"] = self.unit(path)
        s.attrs["description"] = self.description(path)
        return s

    @_retrying
    def frame(self, paths, time="s"):
        """A DataFrame indexed by time: one 2-D series (a column per component, named by its
        label) or one or several 1-D series (a column per path). `time`: "s" (seconds, the
        default), "timedelta", or "datetime" (runs on an EPW file: dates in NOMINAL_YEAR).
        attrs["units"] maps each column to its unit."""
        if isinstance(paths, str):
            d = self._dataset(paths)
            if d.ndim == 2:
                _, labels = self._column_axis(d)
                df = pd.DataFrame(self._values(d), index=self._time_index(time), columns=labels)
                df.attrs["units"] = {label: self.unit(paths) for label in labels}
                df.attrs["series"] = d.name
                return df
            paths = [paths]
        columns = {}
        for p in paths:
            columns[self._dataset(p).name] = self.series(p, time)
        df = pd.DataFrame(columns)
        df.attrs["units"] = {name: s.attrs["units"] for name, s in columns.items()}
        return df

    @_retrying
    def array(self, path, time="s"):
        """A series as an xarray DataArray named by its path: dims ("time",) or ("time", NAME),
        NAME from its labels dataset (`/racks/paths` -> "racks"), with coordinates `time` [s]
        (and `date_time` for a run with a calendar; time="datetime" requires one) and the
        labels; attrs units and description."""
        import xarray as xr

        if time not in ("s", "datetime"):
            raise ValueError("time must be 's' or 'datetime', not %r" % (time,))
        d = self._dataset(path)
        seconds = self.time()
        coords = {"time": ("time", seconds, {"units": "s"})}
        start = self.calendar_start()
        if start is not None:
            coords["date_time"] = ("time", self._dates(start, seconds).values)
        elif time == "datetime":
            self._time_index("datetime")  # raises: the run has no calendar
        dims = ["time"]
        if d.ndim == 2:
            name, labels = self._column_axis(d)
            dims.append(name)
            coords[name] = (name, labels)
        return xr.DataArray(self._values(d), dims=dims, coords=coords, name=d.name,
                            attrs={"units": self.unit(path), "description": self.description(path)})

    @_retrying
    def kpis(self):
        """The site KPIs (/kpi, README "Site KPIs") as a DataFrame indexed by KPI (pue, wue, erf,
        ref, cue, grid_cost): value (NaN where the summary has null), units, standard,
        definition, reason; empty for a file written before them."""
        rows = {}
        if "kpi" in self.file:
            for name, g in self.file["kpi"].items():
                a = g.attrs
                rows[name] = {
                    "value": float(a["value"]),
                    "units": _text(a["units"]),
                    "standard": _text(a["standard"]),
                    "definition": _text(a["definition"]),
                    "reason": _text(a["reason"]),
                }
        return pd.DataFrame.from_dict(rows, orient="index",
                                      columns=["value", "units", "standard", "definition", "reason"])

    @_retrying
    def events(self):
        """/events as a DataFrame: time [s], path, kind, message (the shortest length of the four
        after a kill)."""
        g = self.file["events"]
        n = min(len(g[k]) for k in ("time", "path", "kind", "message"))
        df = pd.DataFrame({
            "time": g["time"][:n],
            "path": list(g["path"].asstr()[:n]),
            "kind": list(g["kind"].asstr()[:n]),
            "message": list(g["message"].asstr()[:n]),
        })
        df.attrs["units"] = {"time": "s"}
        return df
