# make demo  - check the example catalogs, lint the example script, replay the example events
# make test  - run the whole test suite
# make bench / make bench-big - benchmarks (bench-big: large files, slow)
# They create .venv and install guard with its pinned dependencies on first use;
# durable_rules is compiled from source there (a C compiler and Python headers are needed).
# The spark extra (pyspark, about 300 MB) is installed too; its tests run Spark in local mode when
# Java 17+ is on PATH and are skipped, saying so, when it is not.
# The flink extra cannot share .venv with the spark extra (py4j, pandas and pyarrow pins differ):
# make test also builds .venv-flink with guard[test,flink] and runs the tests marked flink there.

# durable_rules 2.0.28 does not import on Python 3.13+, so prefer an older interpreter if present.
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLINK_VENV := .venv-flink
FLINK_STAMP := $(FLINK_VENV)/.installed

.PHONY: demo test bench bench-big rules-test clean browser

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "guard needs Python 3.11 or newer" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	$(BIN)/python -c 'from guard.text.segment import warm; warm(); from guard.text.matcher import bundled_matcher; bundled_matcher()'
	@touch $@

$(FLINK_STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "guard needs Python 3.11 or newer" >&2; exit 2; }
	$(PYTHON) -m venv $(FLINK_VENV)
	$(FLINK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FLINK_VENV)/bin/python -m pip install --quiet -e '.[test,flink]'
	@touch $@

demo: $(STAMP)
	@echo "== guard check: the example catalog (merchant, products, promotions, live rooms)"
	$(BIN)/guard check examples/catalog.json examples/merchant.yaml examples/products.csv examples/products.xlsx \
	  --now 2026-11-26T10:00:00+08:00; status=$$?; [ $$status -le 1 ] || exit $$status
	@echo "== guard check: a shop back end's own export (GB18030, a title row, units in headers, extra columns)"
	$(BIN)/guard check examples/exports/shop-export.csv examples/merchant.yaml --now 2026-11-26T10:00:00+08:00; \
	  status=$$?; [ $$status -le 1 ] || exit $$status
	@echo "== guard check: a 千牛 data package (UTF-16, tab-separated), with its platform categories mapped"
	$(BIN)/guard check examples/exports/qianniu-package.csv examples/merchant.yaml --columns examples/exports/categories.yaml \
	  --now 2026-11-26T10:00:00+08:00; status=$$?; [ $$status -le 1 ] || exit $$status
	@echo "== guard lint: the example host script, as said on Douyin for a cosmetics product"
	$(BIN)/guard lint examples/live_script.txt --platform douyin --category cosmetics; \
	  status=$$?; [ $$status -le 1 ] || exit $$status
	@echo "== guard lint --catalog: what the host says against what the live room sells (examples/live-room)"
	$(BIN)/guard lint examples/live-room/script.txt --catalog examples/live-room/catalog.json \
	  --now 2026-11-26T20:00:00+08:00 --category cosmetics --select SCRIPT; status=$$?; [ $$status -le 1 ] || exit $$status
	@echo "== guard monitor: the example order and live-room events (one line is deliberately invalid)"
	rm -f $(VENV)/demo-monitor.db*
	$(BIN)/guard monitor replay examples/events.jsonl --db $(VENV)/demo-monitor.db --format text \
	  --until 2026-11-28T00:00:00+08:00; status=$$?; [ $$status -le 2 ] || exit $$status
	$(BIN)/guard audit verify --db $(VENV)/demo-monitor.db
	@echo "== guard report: the post-live report (two earlier lives first, so complaints have a history)"
	$(BIN)/guard report --db $(VENV)/demo-monitor.db --metrics examples/metrics/LR-20261119.csv --room LR-20261119 --format json >/dev/null
	$(BIN)/guard report --db $(VENV)/demo-monitor.db --metrics examples/metrics/LR-20261122.csv --room LR-20261122 --format json >/dev/null
	$(BIN)/guard report --db $(VENV)/demo-monitor.db --metrics examples/metrics/LR-20261126.xlsx --format text
	$(BIN)/guard report --db $(VENV)/demo-monitor.db --metrics examples/metrics/LR-20261126.xlsx --output $(VENV)/demo-report.html

# The browser tests drive Debian's chromium through chromium-driver: installed here when missing and
# possible (root with apt-get); otherwise those tests are skipped and say why.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium, chromium-driver and CJK fonts for the browser tests"; \
	    (apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null 2>&1)) || \
	      echo "could not install chromium: the browser tests will be skipped"; \
	  else echo "no chromium/chromedriver and no apt-get as root: the browser tests will be skipped"; fi; \
	fi

test: $(STAMP) $(FLINK_STAMP) browser
	$(BIN)/python -m pytest -q
	$(FLINK_VENV)/bin/python -m pytest -q -m flink tests/test_flink.py

rules-test: $(STAMP)
	$(BIN)/guard rules test

bench: $(STAMP)
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_lint.py
	$(BIN)/python bench/bench_monitor.py
	$(BIN)/python bench/bench_claims.py
	$(BIN)/python bench/bench_serve.py
	$(BIN)/python bench/bench_captions.py
	$(BIN)/python bench/bench_scale.py

# about 20 minutes: a 300,000-row XLSX and a 1,000,000-line JSONL catalog, peak memory against 1 GB
bench-big: $(STAMP)
	$(BIN)/python bench/bench_big.py

clean:
	rm -rf $(VENV) $(FLINK_VENV) build dist .pytest_cache .hypothesis
