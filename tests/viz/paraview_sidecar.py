"""Run by tests/viz/paraview_sidecar.sh under pvbatch: opens a sidecar with ParaView's XDMF
reader and checks what it finds against the expectations given. Exit status 1 on a mismatch."""

import argparse
import os
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
p.add_argument("--cells", nargs="+", required=True, help="group=count")
p.add_argument("--times", required=True, help="/time of the results file, one value per line")
p.add_argument("--first", required=True, help="/racks/power at the first row")
p.add_argument("--last", required=True, help="/racks/power at the last row")
p.add_argument("--screenshot", required=True)
a = p.parse_args()

reader = pv.XDMFReader(FileNames=[a.xmf])
reader.UpdatePipelineInformation()

# Time steps: the file's output times, rows sharing a time counted once.
expected = []
for t in numbers(a.times):
    if not expected or t > expected[-1]:
        expected.append(t)
found = list(reader.TimestepValues)
check(len(found) == len(expected), "%d time steps (expected %d)" % (len(found), len(expected)))
check(all(close(x, y) for x, y in zip(found, expected)),
      "time values %s ... %s (expected %s ... %s)" % (found[:3], found[-1:], expected[:3], expected[-1:]))


def block(name, t):
    b = pv.ExtractBlock(Input=reader, Selectors=["/Root/" + name])
    merged = pv.MergeBlocks(Input=b)
    merged.UpdatePipeline(t)
    return sm.Fetch(merged)


for spec in a.cells:
    name, count = spec.split("=")
    data = block(name, expected[-1])
    check(data.GetNumberOfCells() == int(count), "%s: %d cells (expected %s)" % (name, data.GetNumberOfCells(), count))
    check(data.GetNumberOfPoints() == 8 * int(count), "%s: %d points (expected 8 per box)" % (name, data.GetNumberOfPoints()))

# The fields come from the row of their time: the racks' power at the first and last times.
for t, path in ((expected[0], a.first), (expected[-1], a.last)):
    data = block("racks", t)
    array = data.GetCellData().GetArray("power")
    values = [array.GetValue(i) for i in range(array.GetNumberOfTuples())] if array else []
    want = numbers(path)
    check(len(values) == len(want) and all(close(x, y) for x, y in zip(values, want)),
          "racks/power at t = %g s: %s (expected %s)" % (t, values, want))

# The default view renders and saves a picture that shows something.
view, _ = open_results.open_results(a.xmf, size=(800, 600))
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
