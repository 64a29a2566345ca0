"""``vcc app`` end to end in a real browser: Debian's headless Chromium driven by Selenium.

Type a wrong path into the model form and see the check's message, upload the demo
data on the Data page, start a run with a small bootstrap on the
Run page, let the page follow the progress (server-sent events) until it reloads
with the results, and read a number off the results page. Nothing is
downloaded: the driver is the system's ``/usr/bin/chromedriver``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest

pytest.importorskip("fastapi")
webdriver = pytest.importorskip("selenium.webdriver")

CHROMEDRIVER = "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    import uvicorn

    from validate.app.server import AppConfig, create_app

    app = create_app(AppConfig(workdir=tmp_path / "runs"))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    t0 = time.monotonic()
    while not srv.started:
        if time.monotonic() - t0 > 30:
            raise RuntimeError("the app did not start in 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    th.join(timeout=10)


@pytest.fixture
def browser():
    if not shutil.which("chromium") or not shutil.which(CHROMEDRIVER):
        pytest.fail("Chromium and chromium-driver are needed: apt-get install chromium chromium-driver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield drv
    drv.quit()


@pytest.mark.slow
def test_upload_run_and_read_the_results_in_chromium(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from validate.pipeline import example_data_path

    url, app = server
    wait = WebDriverWait(browser, 30)
    # the model form is checked as you type (htmx, vendored), with vcc model check's messages
    browser.get(url + "/model")
    paths = browser.find_element(By.NAME, "p|producer|paths")
    paths.send_keys("\nPID -> NOPE")
    bad = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#form-check .check.bad")))
    assert "NOPE" in bad.text

    browser.get(url + "/data")
    browser.find_element(By.ID, "data-files").send_keys(str(example_data_path()))
    browser.find_element(By.ID, "data-upload").click()
    kept = wait.until(EC.presence_of_element_located((By.ID, "kept-producer")))
    assert int(kept.text) > 300

    browser.find_element(By.ID, "to-run").click()
    wait.until(EC.presence_of_element_located((By.ID, "run-form")))
    boot = browser.find_element(By.ID, "opt-bootstrap")
    boot.clear()
    boot.send_keys("100")
    Select(browser.find_element(By.ID, "opt-missing")).select_by_value("listwise")
    Select(browser.find_element(By.ID, "opt-mechanism")).select_by_value("producer")
    browser.find_element(By.ID, "run-start").click()

    # the results page follows the run; its script reloads the page when the events say it is done
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "run-card")))
    run_id = browser.find_element(By.ID, "run-card").get_attribute("data-run")
    cfi = WebDriverWait(browser, 900).until(EC.presence_of_element_located((By.ID, "cfi-producer")))
    status = browser.find_element(By.ID, "run-status").text
    assert status == "done", browser.find_element(By.TAG_NAME, "main").text[:2000]

    import json

    results = json.loads((app.state.manager.run_dir(run_id) / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["options"]["bootstrap"] == 100 and results["options"]["missing"] == "listwise"
    fit = results["mechanisms"]["producer"]["structural"]["fit"]
    assert cfi.text == f"{fit['cfi']:.3f}"
    assert float(cfi.text) > 0.5
    assert browser.find_element(By.ID, "n-producer").text == str(results["mechanisms"]["producer"]["n_used"])
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.report")
    assert frame.get_attribute("src").endswith(f"/runs/{run_id}/files/report.html")
