# Quick start: `make demo` trains and evaluates the Fashion-MNIST demo and
# draws its training curves;
# `make test` runs the test suite. Both set up .venv on first use.
# `make test-fast` runs the suite less its slow tier (pytest -m 'not slow'):
# the loop to run after each change; `make test` before a commit.
# `make dense` adds full mmcv (built once, then cached), mmdet and mmseg.
# `make docs` builds the documentation into docs/_build/html.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -q

DEMO_CONFIG ?= configs/deit3/deit3-tiny-p7_1xb128_fashion-mnist.py
DEMO_WORK_DIR ?= work_dirs/demo
DEMO_MIN_TOP1 ?= 88
FMNIST_SRC ?= /usr/share/datasets/fashion-mnist
FMNIST_DIR ?= data/fashion-mnist

.PHONY: demo test test-fast docs venv venv-tests dense data clean

demo: venv data
	rm -rf $(DEMO_WORK_DIR)
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR)
	$(PY) tools/test.py $(DEMO_CONFIG) "$$(cat $(DEMO_WORK_DIR)/last_checkpoint)" \
		--work-dir $(DEMO_WORK_DIR)/test --out $(DEMO_WORK_DIR)/test_metrics.json --out-item metrics
	$(PY) tools/analysis_tools/plot_curves.py $(DEMO_WORK_DIR) --out $(DEMO_WORK_DIR)/curves.png
	@$(PY) -c "import json, sys; m = json.load(open('$(DEMO_WORK_DIR)/test_metrics.json')); \
		top1 = m['accuracy/top1']; \
		print(f\"Fashion-MNIST test top-1 of the final checkpoint: {top1:.2f}%\"); \
		sys.exit(0 if top1 >= $(DEMO_MIN_TOP1) else f'below the expected $(DEMO_MIN_TOP1)%')"

test: venv-tests data
	$(PY) -m pytest tests

test-fast: venv-tests data
	$(PY) -m pytest tests -m 'not slow'

# Warnings are errors, broken links and unknown API names included (-n).
docs: $(VENV)/.docs-installed
	rm -rf docs/_build/html
	$(PY) -m sphinx -n -W --keep-going -q -b html docs docs/_build/html
	@echo "The docs are in docs/_build/html/index.html"

venv: $(VENV)/.runtime-installed
venv-tests: $(VENV)/.tests-installed
dense: $(VENV)/.dense-installed

# mmcv comes in two builds that ship the same package: mmcv-lite (enough for
# classification) and full mmcv with compiled ops (mmdet, mmseg). Install the
# lite one unless a full one is already there.
$(VENV)/.runtime-installed: setup.py requirements/runtime.txt requirements/mmcv.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -U pip
	$(PIP) -e .
	$(PY) -c "import mmcv" 2>/dev/null || $(PIP) -r requirements/mmcv.txt
	touch $@

$(VENV)/.dense-installed: $(VENV)/.runtime-installed requirements/dense.txt tools/dense/install_dense.sh
	bash tools/dense/install_dense.sh $(PY)
	touch $@

$(VENV)/.docs-installed: $(VENV)/.runtime-installed requirements/docs.txt
	$(PIP) -e '.[docs]'
	touch $@

# openmim with --no-deps: see requirements/mim.txt.
$(VENV)/.tests-installed: $(VENV)/.runtime-installed requirements/tests.txt requirements/tools.txt requirements/mim.txt requirements/docs.txt
	$(PIP) -e '.[tests]'
	$(PIP) -r requirements/mim.txt
	$(PIP) --no-deps openmim==0.3.9
	touch $@

# Fashion-MNIST comes from Debian's dataset-fashion-mnist package; install it
# when we can (root or passwordless sudo), otherwise say how.
data: venv
	@if [ ! -f $(FMNIST_SRC)/t10k-labels-idx1-ubyte.gz ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; \
		elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
		else echo "Fashion-MNIST is missing from $(FMNIST_SRC). Install it with:"; \
			echo "    sudo apt-get install dataset-fashion-mnist"; \
			echo "then run make again."; exit 1; fi; \
		$$SUDO apt-get install -y dataset-fashion-mnist \
			|| { $$SUDO apt-get update && $$SUDO apt-get install -y dataset-fashion-mnist; }; \
	fi
	$(PY) tools/prepare_data.py --src $(FMNIST_SRC) --dst $(FMNIST_DIR)

clean:
	rm -rf $(VENV) work_dirs docs/_build docs/papers
