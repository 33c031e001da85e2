def test_index_example_runs_tiny(load_example, capsys):
    module = load_example("index_collection")
    info = module.main(["--tiny"])
    out = capsys.readouterr().out
    assert info["count"] == 60 and info["recall_at_10"] == 1.0
    assert "filter {'tone': 'light'}" in out
    assert "(dark)" not in out.split("filter {'tone': 'light'}")[1]
