"""Run by tests/viz/paraview_sidecar.sh under pvbatch: opens a sidecar with the reader ParaView
picks for it (OpenDataFile, as File > Open does), and the legacy flavour with the legacy
"XDMF Reader", and checks what they find against the expectations given; then loads the
ParaView state written next to them (LoadState, as `paraview pod.pvsm` does) and checks its
view. Exit status 1 on a mismatch."""

import argparse
import math
import os
import re
import sys
import xml.etree.ElementTree as ET

from paraview import servermanager as sm
from paraview import simple as pv
from vtkmodules.vtkIOImage import vtkPNGReader

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "viz", "paraview"))
import open_results  # noqa: E402

failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def numbers(path):
    return [float(x) for x in open(path).read().replace(",", " ").split()]


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


p = argparse.ArgumentParser()
p.add_argument("xmf")
p.add_argument("--legacy", required=True, help="the same run's sidecar written with `dctwin xdmf --legacy`")
p.add_argument("--cells", nargs="+", required=True, help="group=count, in the sidecar's order")
p.add_argument("--times", required=True, help="/time of the results file, one value per line")
p.add_argument("--first", required=True, help="/racks/power at the first row")
p.add_argument("--last", required=True, help="/racks/power at the last row")
p.add_argument("--devices-last", required=True, help="/devices/power at the last row")
p.add_argument("--halls-last", required=True, help="/halls/air_temperature at the last row")
p.add_argument("--screenshot", required=True)
p.add_argument("--state", required=True, help="the ParaView state `dctwin run` wrote next to the sidecar")
p.add_argument("--moved", required=True, help="the same state, moved with its sidecar and results to another folder")
p.add_argument("--junction-last", required=True, help="/devices/junction_temperature at the last row")
a = p.parse_args()
groups = [(spec.split("=")[0], int(spec.split("=")[1])) for spec in a.cells]

# Time steps: the file's output times, rows sharing a time counted once.
expected = []
for t in numbers(a.times):
    if not expected or t > expected[-1]:
        expected.append(t)
powers = {expected[0]: numbers(a.first), expected[-1]: numbers(a.last)}


def shown_times(xmf):
    """The output times a sidecar shows: every stride-th and the last (its `stride`, written so
    that the sidecar is no larger than the results file)."""
    stride = int(ET.parse(xmf).getroot().find("Domain/Information[@Name='stride']").get("Value"))
    rows = list(range(0, len(expected), stride))
    if rows[-1] != len(expected) - 1:
        rows.append(len(expected) - 1)
    return [expected[k] for k in rows], stride


def check_times(reader, label, xmf):
    want, stride = shown_times(xmf)
    found = list(reader.TimestepValues)
    check(len(found) == len(want), "%s: %d time steps (expected %d: every %d of %d output times and the last)"
          % (label, len(found), len(want), stride, len(expected)))
    check(all(close(x, y) for x, y in zip(found, want)),
          "%s: time values %s ... %s (expected %s ... %s)" % (label, found[:3], found[-1:], want[:3], want[-1:]))


def leaves(data):
    """The data sets of a composite output, in order (blocks, or pieces for Xdmf3ReaderS)."""
    if data.IsA("vtkMultiBlockDataSet"):
        return [leaf for i in range(data.GetNumberOfBlocks()) if data.GetBlock(i) for leaf in leaves(data.GetBlock(i))]
    if data.IsA("vtkPartitionedDataSet"):
        return [leaf for i in range(data.GetNumberOfPartitions()) if data.GetPartitionAsDataObject(i)
                for leaf in leaves(data.GetPartitionAsDataObject(i))]
    return [data]


def values(data, name):
    array = data.GetCellData().GetArray(name)
    return [array.GetValue(i) for i in range(array.GetNumberOfTuples())] if array else []


def check_power(label, t, got):
    want = powers[t]
    check(len(got) == len(want) and all(close(x, y) for x, y in zip(got, want)),
          "%s: racks' power [W] at t = %g s: %s (expected %s)" % (label, t, got, want))


# --- The reader ParaView chooses, as File > Open does: one of the Xdmf3 readers. -------------
reader = pv.OpenDataFile(a.xmf)
label = reader.GetXMLName()
check(label in ("Xdmf3ReaderS", "Xdmf3ReaderT"), "ParaView chose %s for the .xmf" % label)
reader.UpdatePipelineInformation()
check_times(reader, label, a.xmf)
for t in (expected[0], expected[-1]):
    reader.UpdatePipeline(t)
    found = leaves(sm.Fetch(reader))
    check(len(found) == len(groups), "%s: %d data sets at t = %g s (expected one per group: %d)"
          % (label, len(found), t, len(groups)))
    for (name, count), data in zip(groups, found):
        check(data.GetNumberOfCells() == count, "%s: %s: %d cells (expected %d)" % (label, name, data.GetNumberOfCells(), count))
        check(data.GetNumberOfPoints() == 8 * count,
              "%s: %s: %d points (expected 8 per box)" % (label, name, data.GetNumberOfPoints()))
        names = [data.GetCellData().GetArrayName(i) for i in range(data.GetCellData().GetNumberOfArrays())]
        check(names and all(re.fullmatch(r"\w+ \[[^\]]+\]", n) for n in names),
              "%s: %s: every array names its unit: %s" % (label, name, names))
        if name == "racks":
            check_power(label, t, values(data, "power [W]"))
            # Racks around drawn devices are outlines, so that the devices show.
            kind = data.GetCellType(0) if count else -1
            want = 4 if any(g == "devices" for g, _ in groups) else 12  # VTK_POLY_LINE, VTK_HEXAHEDRON
            check(kind == want, "%s: racks drawn as cell type %d (expected %d)" % (label, kind, want))
        if name == "devices":
            check(data.GetCellType(0) == 12, "%s: devices are hexahedra" % label)
        if t == expected[-1] and name in ("devices", "halls"):
            array, path = ("power [W]", a.devices_last) if name == "devices" else ("air_temperature [degC]", a.halls_last)
            got, want = values(data, array), numbers(path)
            check(len(got) == len(want) and all(close(x, y) for x, y in zip(got, want)),
                  "%s: %s: %s at t = %g s: %d values as in the results file" % (label, name, array, t, len(want)))

# Xdmf3ReaderT: one block per group, by name (what open_results.py uses).
t_reader = pv.Xdmf3ReaderT(FileName=a.xmf)
t_reader.UpdatePipelineInformation()
check_times(t_reader, "Xdmf3ReaderT", a.xmf)
for name, count in groups:
    merged = pv.MergeBlocks(Input=pv.ExtractBlock(Input=t_reader, Selectors=["/Root/" + name]))
    merged.UpdatePipeline(expected[-1])
    n = sm.Fetch(merged).GetNumberOfCells()
    check(n == count, "Xdmf3ReaderT: block /Root/%s: %d cells (expected %d)" % (name, n, count))

# --- The legacy "XDMF Reader" with the legacy flavour. ---------------------------------------
legacy = pv.XDMFReader(FileNames=[a.legacy])
legacy.UpdatePipelineInformation()
check_times(legacy, "XdmfReader", a.legacy)
for t in (expected[0], expected[-1]):
    for name, count in groups:
        merged = pv.MergeBlocks(Input=pv.ExtractBlock(Input=legacy, Selectors=["/Root/" + name]))
        merged.UpdatePipeline(t)
        data = sm.Fetch(merged)
        check(data.GetNumberOfCells() == count,
              "XdmfReader: %s: %d cells at t = %g s (expected %d)" % (name, data.GetNumberOfCells(), t, count))
        if name == "racks":
            check_power("XdmfReader", t, values(data, "power [W]"))

# --- The default view renders and saves a picture that shows something. ----------------------
view, _ = open_results.open_results(a.xmf, size=(800, 600))
# The time shown in days, hours and minutes (the example has no calendar).
clock = pv.FindSource("time")
clock.UpdatePipeline(expected[-1])
table = sm.Fetch(clock)
text = table.GetColumn(0).GetValue(0) if table and table.GetNumberOfColumns() else ""
want = open_results.describe(a.xmf)[2] is None and "t = %d min 00 s" % (expected[-1] // 60) or "?"
check(text == want, "the view's clock at t = %g s: '%s' (expected '%s')" % (expected[-1], text, want))
pv.SaveScreenshot(a.screenshot, view, ImageResolution=[800, 600])
png = vtkPNGReader()
png.SetFileName(a.screenshot)
png.Update()
image = png.GetOutput()
dims = image.GetDimensions()
check(dims[0] == 800 and dims[1] == 600, "screenshot %d x %d (expected 800 x 600)" % (dims[0], dims[1]))
scalars = image.GetPointData().GetScalars()
n = scalars.GetNumberOfTuples()
greys = [sum(scalars.GetTuple(i)[:3]) / 3.0 for i in range(0, n, 7)]
mean = sum(greys) / len(greys)
variance = sum((g - mean) ** 2 for g in greys) / len(greys)
check(variance > 100, "screenshot grey-level variance %.0f (a blank picture has 0)" % variance)

# --- The state next to the results: what `paraview pod.pvsm` (or File > Load State) shows. ---
def load_state(path, **options):
    pv.ResetSession()
    before = set(pv.GetSources().values())
    pv.LoadState(path, **options)
    view = pv.GetRenderViews()[0]
    pv.SetActiveView(view)
    view.ViewSize = [800, 600]
    reader = [s for s in pv.GetSources().values() if s not in before and s.GetXMLName() == "Xdmf3ReaderT"]
    check(len(reader) == 1, "state %s: one Xdmf3ReaderT" % path)
    return view, reader[0]


def length(v):
    return sum(x * x for x in v) ** 0.5


view, reader = load_state(a.state)
check(os.path.samefile(reader.FileName[0], a.xmf), "state: the reader opens %s (the sidecar %s)" % (reader.FileName[0], a.xmf))
check(close(view.ViewTime, expected[-1]), "state: the view shows t = %g s (the last output time %g s)"
      % (view.ViewTime, expected[-1]))
# The camera: from above and aside (not ParaView's default straight down -z), aimed at the
# middle of the data ParaView reads, as far as ParaView's own Reset Camera puts it.
position, focus = list(view.CameraPosition), list(view.CameraFocalPoint)
look = [f - p for f, p in zip(focus, position)]
elevation = math.degrees(math.asin(-look[2] / length(look)))
check(20 < elevation < 60, "state: the camera looks down at %.0f degrees (expected 20 to 60; a plain open: 90)" % elevation)
check(abs(look[0]) > 0.1 * length(look) and abs(look[1]) > 0.1 * length(look),
      "state: the camera looks across the rows and along them: %s" % look)
# Moved away first (twice as far, aimed elsewhere), so that a Reset Camera that did nothing
# could not pass.
view.CameraFocalPoint = [f + 1.0 for f in focus]
view.CameraPosition = [p - l + 1.0 for p, l in zip(position, look)]
pv.Render(view)  # the bounds of what is shown, which Reset Camera fits
view.ResetCamera(False)
view.SMProxy.SynchronizeCameraProperties()  # the camera's properties from the reset camera
check(all(abs(x - y) < 1e-6 * length(look) for x, y in zip(focus, view.CameraFocalPoint)),
      "state: the camera is aimed at the middle of the data: %s (ParaView's Reset Camera: %s)"
      % (focus, list(view.CameraFocalPoint)))
reset = [f - p for f, p in zip(view.CameraFocalPoint, view.CameraPosition)]
check(abs(length(reset) - length(look)) < 1e-6 * length(look),
      "state: camera distance %.4f m (ParaView's Reset Camera: %.4f m)" % (length(look), length(reset)))
# The colours: the devices by their junction temperature, a range holding the last row's
# values and at least 1 K wide; the scale titled with the unit.
devices = pv.FindSource("devices")
shown = pv.GetDisplayProperties(devices, view)
check(list(shown.ColorArrayName) == ["CELLS", "junction_temperature [degC]"],
      "state: the devices coloured by %s" % list(shown.ColorArrayName))
lut = shown.LookupTable
lo, hi = lut.RGBPoints[0], lut.RGBPoints[-4]
junction = numbers(a.junction_last)
check(lo <= min(junction) and max(junction) <= hi and hi - lo >= 1.0 - 1e-9,
      "state: colour range %.2f to %.2f degC holds the devices' %.2f to %.2f degC" % (lo, hi, min(junction), max(junction)))
bar = pv.GetScalarBar(lut, view)
check(bar.Title == "junction temperature [\u00b0C]" and bar.Visibility == 1, "state: scale titled '%s'" % bar.Title)
clock = pv.FindSource("time")
clock.UpdatePipeline(expected[-1])
table = sm.Fetch(clock)
text = table.GetColumn(0).GetValue(0) if table and table.GetNumberOfColumns() else ""
want = "t = %.1f min" % (expected[-1] / 60)
check(text == want, "state: the time shown '%s' (expected '%s')" % (text, want))
pv.SaveScreenshot(a.screenshot.replace(".png", "-state.png"), view, ImageResolution=[800, 600])

# Moved together to another folder: found there (File > Load State, "Search files under
# specified directory", which is the state's own folder by default).
folder = os.path.dirname(os.path.abspath(a.moved))
view, reader = load_state(a.moved, data_directory=folder, restrict_to_data_directory=True)
check(os.path.dirname(os.path.abspath(reader.FileName[0])) == folder, "moved state: the reader opens %s" % reader.FileName[0])
merged = pv.MergeBlocks(Input=pv.FindSource("devices"))
merged.UpdatePipeline(expected[-1])
n = sm.Fetch(merged).GetNumberOfCells()
want = dict(groups)["devices"]
check(n == want, "moved state: %d devices (expected %d)" % (n, want))

print("%d failures" % len(failures))
if failures:
    sys.exit(1)
