"""Run by tests/viz/paraview_sidecar.sh under pvbatch: opens a sidecar with the reader ParaView
picks for it (OpenDataFile, as File > Open does), and the legacy flavour with the legacy
"XDMF Reader", and checks what they find against the expectations given. Exit status 1 on a
mismatch."""

import argparse
import os
import re
import sys

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
a = p.parse_args()
groups = [(spec.split("=")[0], int(spec.split("=")[1])) for spec in a.cells]

# Time steps: the file's output times, rows sharing a time counted once.
expected = []
for t in numbers(a.times):
    if not expected or t > expected[-1]:
        expected.append(t)
powers = {expected[0]: numbers(a.first), expected[-1]: numbers(a.last)}


def check_times(reader, label):
    found = list(reader.TimestepValues)
    check(len(found) == len(expected), "%s: %d time steps (expected %d)" % (label, len(found), len(expected)))
    check(all(close(x, y) for x, y in zip(found, expected)),
          "%s: time values %s ... %s (expected %s ... %s)" % (label, found[:3], found[-1:], expected[:3], expected[-1:]))


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
check_times(reader, label)
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
check_times(t_reader, "Xdmf3ReaderT")
for name, count in groups:
    merged = pv.MergeBlocks(Input=pv.ExtractBlock(Input=t_reader, Selectors=["/Root/" + name]))
    merged.UpdatePipeline(expected[-1])
    n = sm.Fetch(merged).GetNumberOfCells()
    check(n == count, "Xdmf3ReaderT: block /Root/%s: %d cells (expected %d)" % (name, n, count))

# --- The legacy "XDMF Reader" with the legacy flavour. ---------------------------------------
legacy = pv.XDMFReader(FileNames=[a.legacy])
legacy.UpdatePipelineInformation()
check_times(legacy, "XdmfReader")
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

print("%d failures" % len(failures))
if failures:
    sys.exit(1)
