"""Open notebooks in JupyterLab in a real, headless Chromium, as a learner would, and look at them.

1. The committed notebook 07, **untrusted** (as every downloaded notebook is): its sample grids are
   real pictures and its progress animation is an animated GIF that plays (two screenshots of it,
   a second apart, differ), with no script needed.
2. A small notebook that trains two epochs live and opens the latent explorer, run with Run All:
   the explorer appears once, the dashboard stands above all the epoch lines, the progress bar is
   text (no widget). Then it is saved, its kernel shut down and the page reloaded, as when a learner
   reopens it next day: no "Error displaying widget: model not found" anywhere, the explorer shown
   once from its saved state (``make setup`` installs JupyterLab's saveState setting into .venv).
3. A small notebook that trains a GAN with a classic bug live (the clinic's saturating loss): the
   dashboard's warning line appears under its picture, above the epoch lines; then the spot-the-fake
   quiz: a toggle is marked, "Check" pressed, and the answer with the learner's score appears.

Each starts JupyterLab on 127.0.0.1 with a token made here and saves screenshots in the test's
temporary folder (their paths are printed; ``pytest -s`` shows them). Skips, with the reason shown by
``pytest -rs``, when Debian's chromium / chromedriver or selenium are not installed.
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

import nbformat
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_07 = ROOT / "notebooks" / "07_training_loop.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
LAB_OVERRIDES = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"

LIVE_NOTEBOOK_CELLS = [
    """import os
os.environ.pop("TQDM_DISABLE", None)   # the learner's kernel: bars on, widgets on
os.environ.pop("GANLAB_STATIC", None)
from ganlab import Config, Discriminator, Generator, latent_explorer, train, weights_init
from ganlab.data import DeviceBatches, load_sample_dataset

sample = load_sample_dataset("mnist")
sample.data, sample.targets = sample.data[:512], sample.targets[:512]
cfg = Config(batch_size=64, epochs=3, device="cpu")
G, D = Generator(cfg.noise_dim).apply(weights_init), Discriminator().apply(weights_init)""",
    "history = train(cfg, G=G, D=D, batches=DeviceBatches.from_config(cfg, sample), live=True)",
    "latent_explorer(G, D)",
]


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


class Lab:
    """A JupyterLab server serving ``work``; ``api(method, path)`` talks to its REST API."""

    def __init__(self, url: str, token: str, work: Path):
        self.url, self.token, self.work = url, token, work

    def page(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"

    def api(self, method: str, path: str):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            body = reply.read()
        return json.loads(body) if body else None


@pytest.fixture
def lab(tmp_path):
    """Start JupyterLab on an empty folder (tests copy notebooks in); yields a Lab."""
    work = tmp_path / "lab"
    work.mkdir()
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell, not only those in view (JupyterLab 4 virtualises long notebooks).
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
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
        yield Lab(f"http://127.0.0.1:{port}", token, work)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def chromium(tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Debian's chromium and chromedriver are not installed "
                    "(apt-get install chromium chromium-driver); the browser test needs them")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,2000",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def by():
    from selenium.webdriver.common.by import By
    return By


def wait(driver, seconds=120):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, seconds, poll_frequency=0.5)


def screenshot(driver, tmp_path, name: str) -> Path:
    shot = tmp_path / name
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    return shot


def test_committed_notebook_07_opened_untrusted_shows_its_pictures_and_plays_its_animation(lab, chromium, tmp_path):
    shutil.copy(NOTEBOOK_07, lab.work / NOTEBOOK_07.name)  # not trusted: as downloaded
    By = by()
    chromium.get(lab.page(NOTEBOOK_07.name))
    wait(chromium).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img")) >= 4)
    title = chromium.find_element(By.CSS_SELECTOR, ".jp-MarkdownOutput h1").text
    assert title.startswith("07")
    images = chromium.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img")
    sizes = [(img.get_property("naturalWidth"), img.get_property("naturalHeight")) for img in images]
    assert sum(1 for w, h in sizes if w >= 100 and h >= 100) >= 4, sizes  # decoded, real pictures
    gifs = [img for img in images if (img.get_attribute("src") or "").startswith("data:image/gif")]
    assert len(gifs) == 1, "the progress animation should be the notebook's one GIF"
    gif = gifs[0]
    assert gif.get_property("naturalWidth") >= 300 and gif.get_property("complete")
    chromium.execute_script("arguments[0].scrollIntoView({block: 'center'});", gif)
    frames = set()
    for _ in range(6):  # frames change every 0.4 s: six looks 0.5 s apart see more than one
        frames.add(gif.screenshot_as_png)
        time.sleep(0.5)
    assert len(frames) >= 2, "the GIF did not move"
    assert not chromium.find_elements(By.CSS_SELECTOR, ".anim-controls")  # no script player left
    screenshot(chromium, tmp_path, "notebook07-untrusted.png")
    print(f"notebook 07 untrusted: {len(images)} images, the GIF showed {len(frames)} different frames")


def kernel_idle(lab) -> bool:
    """True once the server has a session whose kernel has started and is idle."""
    return any(session["kernel"]["execution_state"] == "idle" for session in lab.api("GET", "sessions"))


def execution_started(driver) -> bool:
    """True once any cell's prompt shows it queued or ran ("[*]:" or "[1]:")."""
    By = by()
    prompts = [p.text for p in driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-InputPrompt")]
    return any("*" in text or any(ch.isdigit() for ch in text) for text in prompts)


def run_all(driver, lab) -> None:
    """Run > Run All Cells, once the kernel is idle; again if no cell started (a click lost while
    the page was still connecting to the kernel, seen once on CI)."""
    By = by()
    menu = "//div[contains(@class, 'lm-MenuBar-itemLabel') and text()='Run']"
    item = "//div[contains(@class, 'lm-Menu-itemLabel') and text()='Run All Cells']"
    wait(driver).until(lambda d: d.find_elements(By.XPATH, menu))
    wait(driver).until(lambda d: kernel_idle(lab))
    idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, idle))
    for attempt in range(1, 4):
        if attempt > 1:
            print(f"Run All Cells: no cell started, clicking again (try {attempt})")
        driver.find_element(By.XPATH, menu).click()
        wait(driver, 10).until(lambda d: d.find_elements(By.XPATH, item))
        driver.find_element(By.XPATH, item).click()
        try:
            wait(driver, 20).until(execution_started)
            return
        except Exception:  # selenium's TimeoutException: try the menu again
            pass
    raise AssertionError("Run All Cells started no cell in three tries")


def open_and_run_all(lab, driver, name: str, cells) -> Path:
    """Write a notebook of ``cells`` into the lab's folder, open it and Run All; returns its path."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    path = lab.work / name
    nbformat.write(nb, path)
    driver.get(lab.page(name))
    run_all(driver, lab)
    return path


def wait_or_explain(driver, tmp_path, xpath: str, what: str, seconds: int = 240) -> None:
    """Wait for ``xpath`` to appear; if it does not, fail with a screenshot and what the notebook shows."""
    try:
        wait(driver, seconds).until(lambda d: d.find_elements(by().XPATH, xpath))
    except Exception:
        screenshot(driver, tmp_path, "timeout.png")
        raise AssertionError(f"no {what} after {seconds} s; the notebook shows:\n{notebook_text(driver)}") from None


def notebook_text(driver) -> str:
    """What the notebook shows, for a failure message."""
    By = by()
    found = driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook")
    return found[0].text[-3000:] if found else driver.find_element(By.TAG_NAME, "body").text[-3000:]


def save(driver) -> None:
    """Ctrl+S, as a learner saves."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(driver).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()


def cell_outputs(driver, index: int):
    """The output areas of the notebook's cell ``index`` (0-based), in order."""
    By = by()
    return driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")[index].find_elements(
        By.CSS_SELECTOR, ".jp-OutputArea-child")


def test_a_notebook_run_saved_and_reopened_shows_no_dead_widgets_and_the_explorer_once(lab, chromium, tmp_path):
    assert LAB_OVERRIDES.is_file(), f"{LAB_OVERRIDES} is missing: run `make setup` (it installs JupyterLab's saveState)"
    assert json.loads(LAB_OVERRIDES.read_text())["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True
    path = open_and_run_all(lab, chromium, "live.ipynb", LIVE_NOTEBOOK_CELLS)
    By = by()
    seed_a = "//label[normalize-space(text())='seed A']"
    wait_or_explain(chromium, tmp_path, seed_a, "the explorer")
    wait(chromium, 60).until(lambda d: "epoch  3/3" in d.find_element(By.CSS_SELECTOR, ".jp-Notebook").text)

    assert len(chromium.find_elements(By.XPATH, seed_a)) == 1, "the explorer is shown more than once"
    training = cell_outputs(chromium, 1)
    kinds = ["img" if child.find_elements(By.TAG_NAME, "img") else child.text.strip()[:10] for child in training]
    dashboard = kinds.index("img")
    assert kinds.count("img") == 1 and not any(k.startswith("epoch") for k in kinds[:dashboard]), kinds
    text = "\n".join(child.text for child in training[dashboard + 1:])  # every epoch line below the dashboard
    assert text.index("epoch  1/3") < text.index("epoch  2/3") < text.index("epoch  3/3")
    assert not chromium.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-child .widget-progress")  # a text bar
    screenshot(chromium, tmp_path, "live-run.png")

    save(chromium)
    deadline = time.monotonic() + 30
    while "application/vnd.jupyter.widget-state+json" not in path.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    saved = nbformat.read(path, as_version=4)
    assert "application/vnd.jupyter.widget-state+json" in saved.metadata.get("widgets", {}), "widget state not saved"
    assert not any("widget-view" in json.dumps(out) for out in saved.cells[1].outputs)  # no widget bar saved

    for session in lab.api("GET", "sessions"):  # the kernel is gone, as it is the next day
        lab.api("DELETE", f"sessions/{session['id']}")
    chromium.get(lab.page(path.name))
    wait(chromium).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img"))
    time.sleep(3)  # give a failed widget time to say so
    page = chromium.find_element(By.TAG_NAME, "body").text
    assert "model not found" not in page.lower() and "Error displaying widget" not in page
    assert len(chromium.find_elements(By.XPATH, seed_a)) == 1, "the reopened explorer is not shown exactly once"
    screenshot(chromium, tmp_path, "live-reopened.png")
    print("reopened: no 'model not found'; the explorer restored once from the saved widget state")


CLINIC_AND_QUIZ_CELLS = [
    """import os
os.environ.pop("TQDM_DISABLE", None)
os.environ.pop("GANLAB_STATIC", None)
import torch
from ganlab import train
from ganlab.clinic import clinic_config
from ganlab.data import DeviceBatches, load_sample_dataset
from ganlab.quiz import spot_the_fake_quiz

sample = load_sample_dataset("mnist")
sample.data, sample.targets = sample.data[:256], sample.targets[:256]
cfg = clinic_config("saturating_loss", batch_size=64, epochs=2, device="cpu")""",
    "history = train(cfg, batches=DeviceBatches.from_config(cfg, sample), live=True, track=0)",
    """real = sample.data[:8].unsqueeze(1).float() / 127.5 - 1
quiz = spot_the_fake_quiz(real, torch.rand(8, 1, 28, 28) * 2 - 1, n=16)""",
]


def test_the_live_dashboard_names_a_bug_as_it_trains_and_the_quiz_checks_answers(lab, chromium, tmp_path):
    open_and_run_all(lab, chromium, "clinic.ipynb", CLINIC_AND_QUIZ_CELLS)
    By = by()
    check = "//button[normalize-space(.)='Check']"
    wait_or_explain(chromium, tmp_path, check, "the quiz")
    training = "\n".join(child.text for child in cell_outputs(chromium, 1))
    assert "Warning: The G loss is negative" in training, training  # the dashboard's line, under its picture
    assert training.index("Warning:") < training.index("epoch  1/2")  # above the epoch lines, below the picture
    toggles = chromium.find_elements(By.XPATH, "//button[contains(normalize-space(.), ': fake?')]")
    assert len(toggles) == 16
    toggles[0].click()
    chromium.find_element(By.XPATH, check).click()
    wait(chromium, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".ganlab-quiz-result"))
    result = chromium.find_element(By.CSS_SELECTOR, ".ganlab-quiz-result").text
    assert result.startswith("The fakes: ") and "You: " in result, result
    screenshot(chromium, tmp_path, "clinic-and-quiz.png")
    print(f"dashboard warned: {training[training.index('Warning:'):][:80]!r}; quiz said: {result.splitlines()[1]!r}")
