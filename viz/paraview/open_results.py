"""Opens a dctwin results file in ParaView 5.11 with a good default view.

The racks (or the group of the chosen field) coloured by the maximum junction temperature,
the halls as a grey floor, a scalar bar with the field's units, the time (in d/h/min, with the
date for a run on an EPW weather file) and the site's name,
and the animation set to the file's output times. It reads the XDMF sidecar written next to
the results file (`dctwin run` writes it; `dctwin xdmf OUT.h5` writes it again) with
Xdmf3ReaderT, which makes one named block per group.

    pvbatch viz/paraview/open_results.py OUT.h5 -o hall.png [--time 600] [--field devices/power]
    viz/paraview/pvpython.sh -i viz/paraview/open_results.py OUT.h5   # then explore in Python
    paraview --script=viz/paraview/open_results.py          # with DCTWIN_RESULTS=OUT.h5 set

On Debian 12, python3-paraview is unpacked by scripts/paraview.sh into a private folder: run
pvbatch with PYTHONPATH=/opt/dctwin/paraview/usr/lib/python3/dist-packages (or
viz/paraview/pvbatch.sh, which also starts a private X server when there is no display), and
for pvpython use viz/paraview/pvpython.sh (Debian's pvpython puts python3-vtk9 first).
"""

import argparse
import os
import sys
import xml.etree.ElementTree as ET

from paraview import simple as pv

DEFAULT_FIELD = "max_junction_temperature"


def sidecar_of(path):
    """OUT.h5 -> OUT.xmf (as `dctwin xdmf` names it); a .xmf is taken as it is."""
    base, ext = os.path.splitext(path)
    if ext == ".xmf":
        return path
    return base + ".xmf" if ext in (".h5", ".hdf5") else path + ".xmf"


def describe(xmf):
    """The sidecar's site name, its fields' units and the run's calendar start [s] after
    January 1, 00:00 (None without a calendar): ("example-pod",
    {"racks/max_junction_temperature": "degC", ...}, None)."""
    site, fields, calendar = "", {}, None
    for info in ET.parse(xmf).getroot().iter("Information"):
        name = info.get("Name", "")
        if name == "site":
            site = info.get("Value", "")
        elif name == "calendar_start":
            calendar = float(info.get("Value"))
        elif name.startswith("units:") and "/" in name:
            fields[name[len("units:"):]] = info.get("Value", "")
    return site, fields, calendar


def clock_expression(calendar):
    """A PythonAnnotation expression of the time shown (`t_value` [s]) in days, hours and
    minutes ("t = 1 d 02:00 h", "t = 10 min 00 s"), preceded for a calendar run by the date
    ("07/16 14:00", a 365-day year as `dctwin export` counts it)."""
    clock = ("(lambda s: 't = %d d %02d:%02d h' % (s // 86400, s % 86400 // 3600, s % 3600 // 60) if s >= 86400 "
             "else 't = %d:%02d h' % (s // 3600, s % 3600 // 60) if s >= 3600 "
             "else 't = %d min %02d s' % (s // 60, s % 60) if s >= 60 else 't = %d s' % s)(int(round(t_value)))")
    if calendar is None:
        return clock
    date = ("(__import__('datetime').datetime(2001, 1, 1) + __import__('datetime').timedelta("
            "seconds=(%r + t_value) %% (365 * 86400))).strftime('%%m/%%d %%H:%%M')" % calendar)
    return "%s + '  (' + %s + ')'" % (date, clock)


def display_unit(unit):
    return {"degC": "\u00b0C", "1": "", "-": ""}.get(unit, unit)


def array_name(field, unit):
    """The sidecar's name of a cell array: "power [W]" (`dctwin xdmf` puts the unit in it)."""
    return "%s [%s]" % (field, unit or "-")


def find_field(fields, name):
    """(group, field) for "max_junction_temperature" or "devices/power"."""
    if "/" in name.strip("/"):
        key = name.strip("/")
        if key in fields:
            return tuple(key.split("/", 1))
    else:
        for key in fields:  # racks come first in the sidecar
            group, field = key.split("/", 1)
            if field == name:
                return group, field
    raise SystemExit("unknown field '%s'; the fields are: %s" % (name, ", ".join(sorted(fields))))


def open_results(path, field=DEFAULT_FIELD, time=None, view=None, size=(1280, 800), whole_run=False):
    """Builds the default view of a results file; returns (view, reader). `time` [s]: the
    output time shown (default: the last); `size` [pixels]: the view's (fonts are sized for it);
    `whole_run`: colour range over every time step (reads them all: slow for large sites),
    else over the time shown."""
    xmf = sidecar_of(path)
    if not os.path.exists(xmf):
        raise SystemExit("%s: no sidecar; write it with `dctwin xdmf %s`" % (xmf, path))
    site, fields, calendar = describe(xmf)
    group, name = find_field(fields, field)
    unit = display_unit(fields["%s/%s" % (group, name)])
    array = array_name(name, fields["%s/%s" % (group, name)])

    # Xdmf3 resolves the results file from the sidecar's folder only when given a full path.
    reader = pv.Xdmf3ReaderT(registrationName=os.path.basename(xmf), FileName=os.path.abspath(xmf))
    reader.UpdatePipelineInformation()
    times = list(reader.TimestepValues) or [0.0]
    shown = times[-1] if time is None else min(times, key=lambda t: abs(t - time))

    view = view or pv.GetActiveViewOrCreate("RenderView")
    view.ViewSize = list(size)
    view.OrientationAxesVisibility = 0
    view.Background = [0.98, 0.98, 0.99]
    if hasattr(view, "UseColorPaletteForBackground"):
        view.UseColorPaletteForBackground = 0

    boxes = pv.ExtractBlock(registrationName=group, Input=reader, Selectors=["/Root/" + group])
    shown_boxes = pv.Show(boxes, view)
    # Edges outline racks and halls; on the thin device slabs they would hide the colours.
    shown_boxes.Representation = "Surface" if group == "devices" else "Surface With Edges"
    shown_boxes.EdgeColor = [0.15, 0.15, 0.18]
    shown_boxes.LineWidth = 3  # racks around drawn devices are outlines
    pv.ColorBy(shown_boxes, ("CELLS", array))
    lut = pv.GetColorTransferFunction(array)
    lut.ApplyPreset("Viridis (matplotlib)", True)  # as `dctwin render`: no grey in the scale
    lut.NanColor = [0.6, 0.6, 0.6]
    view.ViewTime = shown
    boxes.UpdatePipeline(shown)
    if whole_run:
        shown_boxes.RescaleTransferFunctionToDataRangeOverTime()
    else:
        shown_boxes.RescaleTransferFunctionToDataRange(False, True)
    # A least span, as `dctwin render` draws (viz/render_common.hpp): values alike read as
    # alike, not as a full colour scale over a few millikelvin.
    lo, hi = lut.RGBPoints[0], lut.RGBPoints[-4]
    least = 1.0 if unit in ("degC", "°C", "K") else max(0.01 * max(abs(lo), abs(hi)), 0.05)
    if hi - lo < least:
        mid = 0.5 * (lo + hi)
        lut.RescaleTransferFunction(mid - 0.5 * least, mid + 0.5 * least)
        lut.AutomaticRescaleRangeMode = "Never"
    shown_boxes.SetScalarBarVisibility(view, True)
    bar = pv.GetScalarBar(lut, view)
    bar.Title = name.replace("_", " ") + (" [%s]" % unit if unit else "")
    bar.ComponentTitle = ""
    bar.TitleColor = bar.LabelColor = [0.1, 0.1, 0.12]
    bar.TitleFontSize, bar.LabelFontSize = 16, 14
    bar.RangeLabelFormat = "%-#.4g"
    bar.WindowLocation = "Lower Right Corner"

    # The halls as floor (when the group shown is not the halls), the racks as glass around
    # coloured devices, grey devices inside coloured rack outlines.
    context = []
    if group != "halls" and any(k.startswith("halls/") for k in fields):
        context.append(("halls", 1.0))
    if group == "devices":
        context.append(("racks", 0.15))
    if group == "racks" and any(k.startswith("devices/") for k in fields):
        context.append(("devices", 1.0))
    for other, opacity in context:
        block = pv.ExtractBlock(registrationName=other, Input=reader, Selectors=["/Root/" + other])
        d = pv.Show(block, view)
        pv.ColorBy(d, None)
        d.AmbientColor = d.DiffuseColor = [0.72, 0.73, 0.75]
        d.Opacity = opacity

    clock = pv.PythonAnnotation(registrationName="time", Input=reader)
    clock.Expression = clock_expression(calendar)
    c = pv.Show(clock, view)
    c.WindowLocation = "Upper Right Corner"
    c.FontSize, c.Color = 18, [0.1, 0.1, 0.12]
    title = pv.Text(registrationName="title")
    title.Text = "%s: %s of the %s" % (site or os.path.basename(path), name.replace("_", " "), group)
    t = pv.Show(title, view)
    t.WindowLocation = "Upper Left Corner"
    t.FontSize, t.Color = 18, [0.1, 0.1, 0.12]

    scene = pv.GetAnimationScene()
    scene.UpdateAnimationUsingDataTimeSteps()
    scene.AnimationTime = shown
    view.ViewTime = shown

    # From the front left, above: rows run along x, the aisles along y.
    view.CameraViewUp = [0, 0, 1]
    view.CameraFocalPoint = [0, 0, 0]
    view.CameraPosition = [-0.55, -1.0, 0.85]
    view.ResetCamera(False)
    view.GetActiveCamera().Dolly(1.3)
    pv.SetActiveSource(boxes)
    pv.Render(view)
    return view, reader


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="?", default=os.environ.get("DCTWIN_RESULTS"),
                        help="results file (OUT.h5) or its sidecar (OUT.xmf)")
    parser.add_argument("-o", "--output", help="save a screenshot (PNG)")
    parser.add_argument("--time", type=float, help="output time shown [s] (default: the last)")
    parser.add_argument("--field", default=DEFAULT_FIELD, help="cell field, e.g. power or devices/power")
    parser.add_argument("--whole-run", action="store_true",
                        help="colour range over every time step (reads them all), not the time shown")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args(argv)
    if not args.results:
        parser.error("give a results file (or set DCTWIN_RESULTS)")
    view, _ = open_results(args.results, args.field, args.time, size=(args.width, args.height),
                           whole_run=args.whole_run)
    if args.output:
        pv.SaveScreenshot(args.output, view, ImageResolution=[args.width, args.height])
        print(args.output)


if __name__ == "__main__":
    # In the GUI (paraview --script) there is no command line: DCTWIN_RESULTS names the file.
    main(sys.argv[1:] if len(sys.argv) > 1 or not os.environ.get("DCTWIN_RESULTS") else [])
