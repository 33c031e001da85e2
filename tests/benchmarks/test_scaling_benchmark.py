import pytest

from bench_runner import read_results
from bench_runner import run_benchmark


@pytest.mark.large
def test_tiny_grid_writes_json_and_plot(tmp_path, backend):
    run_benchmark("scaling.py", ["--tiny", "--backends", backend], tmp_path)
    result = read_results(tmp_path, "scaling_tiny")
    points = result["points"]["tiny"][backend]
    assert set(points) == {"2", "4"}
    for point in points.values():
        assert point["samples_per_s"] > 0 and point["peak_rss_bytes"] > 0
    png = tmp_path / "scaling_tiny.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
