"""Drawing helpers of the heavy views: flame chart, time axis, decimated curves, crosshair."""
