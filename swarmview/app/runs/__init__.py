"""Many runs in the viewer (issue 11): the runs browser and the compare window.

``browser.RunsBrowser`` / ``browser.RunsWindow`` list the runs below a folder with their verdicts;
``compare_window.CompareWindow`` overlays their metrics and diffs their graphs, spans, datasets and
artifacts. Import the submodule you need.
"""
