# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOSSCLI := $(VENV)/bin/losscli
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export KERAS_BACKEND := numpy

.PHONY: demo test lint bench sample-data golden clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# setuptools announces every editable install with a warning: not news, and not ours to fix
PIP_INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet

$(STAMP): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e '.[test,torch-oracle,fsspec,dask,spark]'
	touch $@ $(STAMP)

demo: $(STAMP)
	mkdir -p scratch
	$(LOSSCLI) list
	$(LOSSCLI) eval mse sample_data/regression.csv
	$(LOSSCLI) eval 'huber(delta=0.5),mae,mse' sample_data/regression_weighted.parquet
	$(LOSSCLI) eval 'binary_crossentropy,bce(label_smoothing=0.1)' sample_data/binary.csv --format json
	$(LOSSCLI) eval categorical_crossentropy sample_data/multiclass.parquet
	$(LOSSCLI) eval sparse_categorical_crossentropy sample_data/sparse.csv --y-pred 'p_*'
	$(LOSSCLI) describe huber

test: $(TEST_STAMP)
	$(PY) -m ruff check losscli tests
	$(PY) -m pytest

lint: $(TEST_STAMP)
	$(PY) -m ruff check losscli tests bench scripts sample_data
	$(PY) -m ruff format --check losscli tests bench scripts sample_data

bench: $(TEST_STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py

sample-data: $(STAMP)
	$(PY) sample_data/make_samples.py
	$(PY) sample_data/make_inputs.py
	$(PY) sample_data/make_sequences.py
	$(PY) sample_data/make_models.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

golden: $(TEST_STAMP)
	$(PY) tests/golden_cases.py
