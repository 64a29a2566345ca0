"""Regenerate the README's screenshots of ``vcc app``: ``python docs/app/screenshots.py``.

Starts the app on a free port with a fresh workdir, walks the pages in headless
Chromium (Debian's ``chromium`` and ``chromium-driver``) as a researcher would
(upload the demo data, run with 200 bootstrap resamples) and saves one PNG per
page here, reduced to 256 colours so each stays small.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def main() -> int:
    import uvicorn
    from PIL import Image
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from validate.app.server import AppConfig, create_app
    from validate.pipeline import example_data_path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(AppConfig(workdir=Path(tempfile.mkdtemp(prefix="vcc-shots-"))))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,860", "--hide-scrollbars"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)

    def shot(name: str) -> None:
        png = HERE / f"{name}.png"
        drv.save_screenshot(str(png))
        Image.open(png).convert("RGB").quantize(colors=256).save(png, optimize=True)
        print(f"{png.relative_to(HERE.parents[1])}: {png.stat().st_size // 1024} KB")

    try:
        wait = WebDriverWait(drv, 60)
        drv.get(url + "/model")
        shot("model")
        drv.get(url + "/lang/zh?next=/model")
        shot("model_zh")
        drv.get(url + "/lang/en?next=/data")
        drv.find_element(By.ID, "data-files").send_keys(str(example_data_path()))
        drv.find_element(By.ID, "data-upload").click()
        wait.until(EC.presence_of_element_located((By.ID, "kept-producer")))
        shot("data")
        drv.get(url + "/run")
        boot = drv.find_element(By.ID, "opt-bootstrap")
        boot.clear()
        boot.send_keys("200")
        Select(drv.find_element(By.ID, "opt-group")).select_by_value("platform")
        shot("run")
        drv.find_element(By.ID, "run-start").click()
        WebDriverWait(drv, 120).until(lambda d: "bootstrap" in d.find_element(By.ID, "progress-text").text)
        shot("progress")
        WebDriverWait(drv, 1800).until(EC.presence_of_element_located((By.ID, "cfi-producer")))
        shot("results")
        frame = drv.find_element(By.CSS_SELECTOR, "iframe.report")
        drv.execute_script("arguments[0].scrollIntoView(true); window.scrollBy(0, -70);", frame)
        time.sleep(0.5)
        shot("report")
        drv.get(url + "/history")
        shot("history")
    finally:
        drv.quit()
        srv.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
