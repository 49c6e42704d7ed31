"""Saves what `paraview OUT.pvsm` shows as a PNG: loads the ParaView state `dctwin run` writes
next to its results (viz/paraview_state.hpp) in pvbatch, as the GUI does, and saves its view.

    viz/paraview/pvbatch.sh viz/paraview/state_screenshot.py out/pod.pvsm -o pod.png [--width 1280 --height 800]

The docs' ParaView pictures (docs/images/paraview-*.png) are made this way.
"""

import argparse
import sys

from paraview import simple as pv


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("state", help="OUT.pvsm")
    parser.add_argument("-o", "--output", required=True, help="picture (PNG)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args(argv)
    pv.LoadState(args.state)
    view = pv.GetRenderViews()[0]
    pv.SetActiveView(view)
    view.ViewSize = [args.width, args.height]  # a GUI window's; fonts are sized for it
    pv.SaveScreenshot(args.output, view, ImageResolution=[args.width, args.height])
    print(args.output)


if __name__ == "__main__":
    main(sys.argv[1:])
