"""`benchmarks/serve_faults.py --tiny`: the fault benchmark still holds."""

import json
import os
import sys


def test_serve_faults_tiny_has_no_failed_mixed_or_unrefused_request(
        tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    sys.path.insert(0, os.path.join(root, "benchmarks"))
    import serve_faults

    out = tmp_path / "serve_faults.json"
    serve_faults.main(["--tiny", "--out", str(out)])
    result = json.loads(out.read_text())
    assert (result["good_failed"], result["mixed"],
            result["bad_not_4xx"]) == (0, 0, 0)
    assert result["poisoned_requests"] == 4  # One of each kind.
    assert set(result["statuses_by_kind"]) >= {
        "bad_utf8", "wrong_type", "huge_image", "slow_body"}
    assert result["within_rss_bound"] and result["machine"]["backend"]
