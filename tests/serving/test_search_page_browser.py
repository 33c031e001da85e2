"""The search page in a real headless browser (Debian's chromium and
chromium-driver, through selenium): text → top image, image → top caption,
cache hits shown, an API key typed in. Screenshots go to
`test-artifacts/` (or `$KERAS_MM_TEST_ARTIFACTS`), never into git."""

import os
import shutil

import keras
import numpy as np
import pytest

from keras_mm.serving.app import build_app
from keras_mm.serving.preprocessing import text_inputs
from keras_mm.serving.server import ServerThread
from keras_mm.serving.serving_limits import ServingLimits

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Flags that start Chromium quietly in a container: no sandbox (root), no
# GPU, nothing fetched in the background.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-quic", "--no-first-run",
                  "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--window-size=1200,900")
TIMEOUT_S = 60


def artifact_dir():
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    path = os.environ.get("KERAS_MM_TEST_ARTIFACTS",
                          os.path.join(root, "test-artifacts"))
    os.makedirs(path, exist_ok=True)
    return os.path.abspath(path)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium")
    if missing:
        message = (f"missing {', '.join(missing)}: scripts/test.sh installs "
                   "chromium and chromium-driver (apt) and selenium")
        # scripts/test.sh sets it once the browser is installed: a
        # missing one then fails instead of skipping.
        if os.environ.get("KERAS_MM_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tmp_path_factory.mktemp("chromium_profile")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(TIMEOUT_S)
    yield driver
    driver.quit()


def wait_for(driver, condition, what):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, TIMEOUT_S).until(
        lambda d: condition(d), message=f"waited for {what}")


def encode_text(service, text):
    model = service.runtime.model
    return keras.ops.convert_to_numpy(model.encode(
        "text", text_inputs(service.text_preprocessor, [text])))[0]


def clear_winner(scores):
    """The index of the top score, or None when the runner-up is too
    close to call across backends' rounding."""
    order = np.argsort(-scores, kind="stable")
    return order[0] if scores[order[0]] - scores[order[1]] > 1e-3 else None


def text_query_with_a_clear_top_image(service):
    """A caption of the index whose top image, computed here with the
    model itself, is well ahead of the second."""
    index = service.index
    for caption in dict.fromkeys(c for c in index.image_captions if c):
        best = clear_winner(index.image_embeddings
                            @ encode_text(service, caption))
        if best is not None:
            return caption, index.images[best]
    pytest.fail("no caption of the index has a clear top image")


def image_query_with_a_clear_top_caption(service):
    index = service.index
    for i, embedding in enumerate(index.image_embeddings):
        best = clear_winner(index.caption_embeddings @ embedding)
        if best is not None:
            return index.images[i], index.captions[best]
    pytest.fail("no image of the index has a clear top caption")


def searches(driver):
    return int(driver.find_element("tag name", "body").get_attribute(
        "data-searches") or 0)


def search_text(driver, text, done):
    box = driver.find_element("id", "query")
    box.clear()
    box.send_keys(text + "\n")
    wait_for(driver, lambda d: searches(d) == done, f"search {done}")


def first_hit(driver):
    return driver.find_element("css selector", "#results li.hit")


def page_errors(driver):
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE"]


def test_text_finds_its_image_and_an_image_its_caption(keras_service,
                                                       browser):
    backend = keras.backend.backend()
    caption, expected_image = text_query_with_a_clear_top_image(
        keras_service)
    image, expected_caption = image_query_with_a_clear_top_caption(
        keras_service)
    with ServerThread(build_app(keras_service)) as server:
        browser.get(server.url + "/")
        wait_for(browser, lambda d: "64 indexed images" in d.find_element(
            "id", "server-status").text, "the index size")
        assert browser.find_element("id", "key-section").get_attribute(
            "hidden") is not None

        search_text(browser, caption, 1)
        top = first_hit(browser)
        assert top.get_attribute("data-image") == expected_image
        wait_for(browser, lambda d: d.execute_script(
            "const img = arguments[0].querySelector('img');"
            "return img.complete && img.naturalWidth > 0;", top),
            "the top image to load")
        stats = browser.find_element("id", "stats").text
        assert "ms round trip" in stats and "ms in server" in stats
        assert "cache totals" in stats
        shot = os.path.join(artifact_dir(),
                            f"search_page_text_{backend}.png")
        assert browser.save_screenshot(shot) and os.path.getsize(shot)

        search_text(browser, caption, 2)  # The same text: a cache hit.
        assert "query embedding: cache hit" in browser.find_element(
            "id", "stats").text

        path = os.path.join(keras_service.index_root, image)
        browser.find_element("id", "image-file").send_keys(path)
        wait_for(browser, lambda d: searches(d) == 3, "the image search")
        assert first_hit(browser).get_attribute(
            "data-caption") == expected_caption
        shot = os.path.join(artifact_dir(),
                            f"search_page_image_{backend}.png")
        assert browser.save_screenshot(shot) and os.path.getsize(shot)
        assert page_errors(browser) == []


def test_a_server_with_keys_asks_for_one(keras_service, browser):
    caption, expected_image = text_query_with_a_clear_top_image(
        keras_service)
    app = build_app(keras_service, limits=ServingLimits(api_keys=("k1",)))
    with ServerThread(app) as server:
        browser.get(server.url + "/")
        key_section = browser.find_element("id", "key-section")
        wait_for(browser, lambda d: key_section.is_displayed(),
                 "the API key field")
        browser.find_element("id", "api-key").send_keys("k1")
        browser.find_element("id", "save-key").click()
        wait_for(browser, lambda d: not key_section.is_displayed(),
                 "the key to be accepted")
        search_text(browser, caption, 1)
        top = first_hit(browser)
        assert top.get_attribute("data-image") == expected_image
        wait_for(browser, lambda d: d.execute_script(
            "return arguments[0].querySelector('img').naturalWidth > 0;",
            top), "the image, fetched with the key")
