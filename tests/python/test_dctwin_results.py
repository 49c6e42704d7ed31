"""Tests of python/dctwin_results.py against results files written by the real `dctwin run`.

    DCTWIN_BINARY=build/bin/dctwin /usr/bin/python3 tests/python/test_dctwin_results.py

Exit status 77 (CTest: skipped) with the reason when Debian's python3-h5py, python3-pandas,
python3-xarray or python3-yaml is missing (scripts/test.sh installs them)."""

import fcntl
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

missing = []
for module, package in (("h5py", "python3-h5py"), ("pandas", "python3-pandas"), ("xarray", "python3-xarray"),
                        ("yaml", "python3-yaml")):
    try:
        __import__(module)
    except ImportError:
        missing.append(package)
if missing:
    print("SKIPPED: the Python reader's tests need %s (sudo apt-get install %s)" % (", ".join(missing), " ".join(missing)))
    sys.exit(77)

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

source = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(source, "python"))
import dctwin_results as dr  # noqa: E402

BINARY = os.environ.get("DCTWIN_BINARY", os.path.join(source, "build", "bin", "dctwin"))


def run(site, out, *args):
    subprocess.run([BINARY, "run", os.path.join(source, "sites", site), "-o", out, *args], check=True,
                   stdout=subprocess.DEVNULL)


class ResultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dctwin_python_test_")
        cls.pod = os.path.join(cls.dir, "pod.h5")
        run("example-pod.yaml", cls.pod, "--duration", "2min")
        cls.tower = os.path.join(cls.dir, "tower.h5")
        run("tower-pod.yaml", cls.tower, "--duration", "2h", "--set", "ambient.start=196d")
        cls.raw = h5py.File(cls.pod, "r")

    @classmethod
    def tearDownClass(cls):
        cls.raw.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_2d_series_as_a_frame_labelled_by_component_with_units(self):
        with dr.open(self.pod) as r:
            df = r.frame("/racks/power")
            racks = [p.decode() for p in self.raw["/racks/paths"][()]]  # h5py 3 gives bytes
            self.assertEqual(list(df.columns), racks)
            self.assertTrue(all(isinstance(c, str) for c in df.columns))
            np.testing.assert_array_equal(df.to_numpy(), self.raw["/racks/power"][()])
            np.testing.assert_array_equal(df.index.to_numpy(), self.raw["/time"][()])
            self.assertEqual(df.index.name, "time [s]")
            self.assertEqual(df.attrs["units"][racks[0]], "W")

    def test_1d_series_side_by_side_and_alone(self):
        with dr.open(self.pod) as r:
            df = r.frame(["/site/grid_power", "site/pue"])
            self.assertEqual(list(df.columns), ["/site/grid_power", "/site/pue"])
            self.assertEqual(df.attrs["units"], {"/site/grid_power": "W", "/site/pue": "1"})
            np.testing.assert_array_equal(df["/site/pue"].to_numpy(), self.raw["/site/pue"][()])
            s = r.series("/site/max_junction_temperature")
            self.assertEqual(s.attrs["units"], "degC")
            self.assertEqual(len(s), len(self.raw["/time"]))
            self.assertIn("/site/pue", r.series_paths())
            self.assertNotIn("/time", r.series_paths())
            with self.assertRaises(KeyError):
                r.series("/site/no_such")
            with self.assertRaises(ValueError):
                r.series("/racks/power")

    def test_array_dims_and_coordinates_from_the_dimension_scales(self):
        with dr.open(self.pod) as r:
            da = r.array("/racks/power")
            self.assertEqual(da.dims, ("time", "racks"))
            self.assertEqual(da.attrs["units"], "W")
            self.assertEqual(list(da["racks"].values), r.labels("/racks/paths"))
            np.testing.assert_array_equal(da["time"].values, self.raw["/time"][()])
            rack = r.labels("/racks/paths")[1]
            np.testing.assert_array_equal(da.sel(racks=rack).values, self.raw["/racks/power"][:, 1])
            family = r.array("/constraints/family_utilisation")
            self.assertEqual(family.dims, ("time", "constraints/family_names"))
            self.assertEqual(list(family["constraints/family_names"].values), ["silicon", "cooling", "power"])
            self.assertNotIn("date_time", da.coords)  # a constant ambient: no calendar

    def test_files_without_dimension_scales_are_labelled_by_their_columns_attribute(self):
        old = os.path.join(self.dir, "old.h5")
        shutil.copy(self.pod, old)
        with h5py.File(old, "r+") as f:
            f["/racks/power"].dims[1].detach_scale(f["/racks/paths"])
        with dr.open(old) as r:
            self.assertEqual(list(r.frame("/racks/power").columns), r.labels("/racks/paths"))
            self.assertEqual(r.array("/racks/power").dims, ("time", "racks"))

    def test_a_running_file_is_read_up_to_its_rows(self):
        running = os.path.join(self.dir, "running.h5")
        shutil.copy(self.pod, running)
        with h5py.File(running, "r+") as f:
            f.attrs["status"] = "running"
            f.attrs["rows"] = np.int64(5)
        with dr.open(running) as r:
            self.assertEqual(r.status, "running")
            self.assertEqual(len(r.frame("/racks/power")), 5)
            self.assertEqual(r.array("/site/pue").sizes["time"], 5)

    def test_a_file_being_written_is_read_while_its_run_goes_on(self):
        live = os.path.join(self.dir, "live.h5")
        # Flushes every 0.5 s, ten times the default rate: a read may meet a flush and retry.
        writer = subprocess.Popen([BINARY, "run", os.path.join(source, "sites", "example-pod.yaml"), "-o", live,
                                   "--duration", "3650d", "--set", "simulation.flush_interval=0.5s"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            rows = 0
            while rows == 0 and time.monotonic() < deadline and writer.poll() is None:
                try:
                    with dr.open(live) as r:
                        rows = r.rows
                except (OSError, ValueError):  # not there yet, or not yet a results file
                    pass
                time.sleep(0.1)
            self.assertGreater(rows, 0, "no row was flushed")
            last = 0
            for _ in range(5):
                with dr.open(live) as r:
                    self.assertEqual(r.status, "running")
                    self.assertGreaterEqual(r.rows, last)
                    last = r.rows
                    df = r.frame("/racks/power")
                    self.assertEqual(len(df), r.rows)
                    self.assertFalse(df.isna().any().any())  # no row past the flushed ones
                    self.assertEqual(r.array("/devices/junction_temperature").sizes["time"], r.rows)
                    r.events()
            self.assertIsNone(writer.poll(), "the run ended while it was read")
            writer.send_signal(signal.SIGINT)
            self.assertEqual(writer.wait(60), 130)
            with dr.open(live) as r:
                self.assertEqual(r.status, "interrupted")
                self.assertGreaterEqual(r.rows, last)
                self.assertEqual(len(r.frame("/racks/power")), r.rows)
        finally:
            writer.kill()
            writer.wait()

    def test_a_file_being_written_over_the_memory_cap_is_read_from_a_temporary_copy(self):
        live = os.path.join(self.dir, "big.h5")
        shutil.copy(self.pod, live)
        with h5py.File(live, "r+") as f:
            # What a copy taken mid-flush can hold: new lengths and `rows`, two chunks more
            # than the chunk index has.
            f.attrs["status"] = "running"
            rows = int(f.attrs["rows"])
            more = rows + 2 * f["/racks/power"].chunks[0]
            for name in ("/time", "/racks/power"):
                f[name].resize(more, axis=0)
            f.attrs["rows"] = np.int64(more)
        tmp = os.path.join(self.dir, "tmp")
        os.mkdir(tmp)
        fd = os.open(live, os.O_RDWR)
        saved = {k: os.environ.get(k) for k in ("DCTWIN_SNAPSHOT_MAX_BYTES", "TMPDIR")}
        os.environ["DCTWIN_SNAPSHOT_MAX_BYTES"] = "1"  # every file is "large"
        os.environ["TMPDIR"] = tmp
        tempfile.tempdir = None  # tempfile caches its folder
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack(dr._FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
            self.assertEqual(dr.snapshot_max_bytes(), 1)
            # The chunk check holds for the copy: refused, not read as NaN.
            with dr.open(live, patience=0.3) as r:
                with self.assertRaisesRegex(dr.BeingWritten, "not yet on disk in this copy"):
                    r.frame("/racks/power")
            with h5py.File(live, "r+", locking=False) as f:
                for name in ("/time", "/racks/power"):
                    f[name].resize(rows, axis=0)
                f.attrs["rows"] = np.int64(rows)
            with dr.open(live, patience=0.3) as r:
                self.assertIsNotNone(r._copy)  # an unnamed temporary file, not the file itself
                df = r.frame("/racks/power")
                self.assertEqual(len(df), rows)
                self.assertFalse(df.isna().any().any())
            self.assertEqual(os.listdir(tmp), [])  # nothing left behind
        finally:
            os.close(fd)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            tempfile.tempdir = None

    def test_a_half_written_file_being_written_says_to_try_again(self):
        half = os.path.join(self.dir, "half.h5")
        with open(self.pod, "rb") as f:
            data = f.read()
        with open(half, "wb") as f:
            f.write(data[: len(data) // 2])
        # A run writing it: its lock, as the writer takes it (open-file-description).
        fd = os.open(half, os.O_RDWR)
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack(dr._FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
            start = time.monotonic()
            with self.assertRaisesRegex(dr.BeingWritten, "being written by a running dctwin run.*try again"):
                dr.open(half, patience=1.0)
            self.assertLess(time.monotonic() - start, 30)
        finally:
            os.close(fd)
        # Without a writer the same file is simply broken: h5py's own error, at once.
        with self.assertRaises(OSError) as caught:
            dr.open(half, patience=1.0)
        self.assertNotIsInstance(caught.exception, dr.BeingWritten)

    def test_an_epw_run_has_calendar_dates(self):
        with dr.open(self.tower) as r:
            self.assertEqual(r.calendar_start(), 196 * 86400.0)
            s = r.series("/site/pue", time="datetime")
            # January 1 + 196 days, in a non-leap year: July 16.
            self.assertEqual(list(s.index), [pd.Timestamp("2001-07-16 00:00"), pd.Timestamp("2001-07-16 01:00"),
                                             pd.Timestamp("2001-07-16 02:00")])
            da = r.array("/site/pue")
            self.assertEqual(pd.Timestamp(da["date_time"].values[-1]), pd.Timestamp("2001-07-16 02:00"))
        with dr.open(self.pod) as r:
            for call in (lambda: r.series("/site/pue", time="datetime"), lambda: r.array("/site/pue", time="datetime"),
                         lambda: r.frame("/site/pue", time="hours")):
                with self.assertRaises(ValueError):
                    call()

    def test_calendar_wraps_after_december_31(self):
        idx = dr.Results._dates(364.5 * 86400, [0, 43200, 86400])
        self.assertEqual(list(idx), [pd.Timestamp("2001-12-31 12:00"), pd.Timestamp("2001-01-01 00:00"),
                                     pd.Timestamp("2001-01-01 12:00")])
        self.assertIsNone(dr.calendar_start("ambient:\n  kind: constant\n  temperature: 25 degC\n"))
        self.assertEqual(dr.calendar_start("ambient:\n  kind: epw\n  file: a.epw\n"), 0.0)

    def test_the_csv_export_agrees(self):
        csv = os.path.join(self.dir, "tower.csv")
        subprocess.run([BINARY, "export", self.tower, "--csv", csv, "--series", "/site/pue"], check=True,
                       stdout=subprocess.DEVNULL)
        table = pd.read_csv(csv, float_precision="round_trip")
        with dr.open(self.tower) as r:
            s = r.series("/site/pue", time="datetime")
        np.testing.assert_array_equal(table["/site/pue [1]"].to_numpy(), s.to_numpy())
        self.assertEqual(list(table["Date/Time"]), list(s.index.strftime(" %m/%d  %H:%M:%S")))

    def test_kpis_with_units_and_reasons(self):
        with dr.open(self.tower) as r:
            k = r.kpis()
        self.assertEqual(list(k.index), sorted(["pue", "wue", "erf", "ref", "cue", "grid_cost"]))
        summary = json.loads(self.raw_tower_summary())
        self.assertEqual(k.loc["cue", "value"], summary["kpis"]["cue"]["value"])
        self.assertEqual(k.loc["cue", "units"], "kg/kWh")
        self.assertEqual(k.loc["grid_cost", "units"], "USD")
        self.assertTrue(np.isnan(k.loc["ref", "value"]))  # the tower pod gives no renewable share
        self.assertIn("renewable share", k.loc["ref", "reason"])

    def raw_tower_summary(self):
        with h5py.File(self.tower, "r") as f:
            return dr._text(f.attrs["summary_json"])

    def test_events_and_refusals(self):
        with dr.open(self.pod) as r:
            ev = r.events()
            self.assertEqual(list(ev.columns), ["time", "path", "kind", "message"])
        foreign = os.path.join(self.dir, "foreign.h5")
        with h5py.File(foreign, "w") as f:
            f["x"] = [1.0]
        with self.assertRaises(ValueError):
            dr.open(foreign)


if __name__ == "__main__":
    unittest.main(verbosity=2)
