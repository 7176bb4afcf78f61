"""Open the executed notebook 07 in JupyterLab in a real, headless Chromium, and look at it.

Starts JupyterLab on 127.0.0.1 with a token made here, opens the committed notebook 07 (trusted,
so its HTML animation renders with its controls), waits for the rendered outputs, asserts the
sample-grid images and the animation controls are on the page, saves a screenshot in the test's
temporary folder, and shuts the server down. Skips, with the reason shown by ``pytest -rs``,
when Debian's chromium / chromedriver or selenium are not installed (``make test`` installs them).
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "07_training_loop.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, server, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited ({server.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer at {url} within {seconds} s")


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving a trusted copy of notebook 07; yields (url, token)."""
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell, not only those in view (JupyterLab 4 virtualises long notebooks).
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(work / NOTEBOOK.name)],
                   check=True, env=env, capture_output=True)
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_server(f"http://127.0.0.1:{port}/api/status?token={token}", server, tmp_path / "jupyterlab.log")
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_notebook_07_renders_samples_and_animation_in_chromium(jupyterlab, tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Debian's chromium and chromedriver are not installed "
                    "(apt-get install chromium chromium-driver); the browser test needs them")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, token = jupyterlab
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,2000",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(f"{url}/lab/tree/{NOTEBOOK.name}?token={token}")
        wait = WebDriverWait(driver, 120, poll_frequency=0.5)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img")) >= 4)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".anim-controls input[type=range]"))
        images = driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img")
        buttons = driver.find_elements(By.CSS_SELECTOR, ".anim-controls .anim-buttons button")
        sizes = [(img.get_property("naturalWidth"), img.get_property("naturalHeight")) for img in images]
        assert sum(1 for w, h in sizes if w >= 100 and h >= 100) >= 4, sizes  # decoded, real pictures
        assert len(buttons) >= 5  # first, previous, play, next, last ... from matplotlib's to_jshtml
        title = driver.find_element(By.CSS_SELECTOR, ".jp-MarkdownOutput h1").text
        assert title.startswith("07")
        shot = tmp_path / "notebook07.png"
        images[0].location_once_scrolled_into_view  # noqa: B018 - scroll to the first picture
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        print(f"screenshot: {shot}; {len(images)} images, {len(buttons)} animation buttons")
    finally:
        driver.quit()
