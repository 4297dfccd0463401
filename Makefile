# The two commands: `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHIBO := $(BIN)/chibo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test quicktest lint fmt typecheck checks pytest bench messages venv lock clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11-3.13 is needed (set PYTHON=...)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' \
	  || { echo "$(PYTHON) is not Python 3.11-3.13 (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the lock file or the project metadata changes.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

venv: $(VENV)/.installed

# The demo runs as its users will meet the product: DEBUG off (the product's own error pages,
# static files served by the app through WhiteNoise), over plain http on this machine (the
# HTTPS settings are off until BEHIND_PROXY or SECURE_SSL_REDIRECT). `DEBUG=true make demo`
# shows Django's debug pages. Its secret key is made once and kept in var/, never committed.
DEMO_ENV = DEBUG="$${DEBUG:-false}" SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret_key)}" \
  ALLOWED_HOSTS="$${ALLOWED_HOSTS:-localhost,127.0.0.1,[::1],$(HOST)}"

demo: venv
	mkdir -p var
	@test -s var/secret_key || (umask 077 && $(BIN)/python -c \
	  "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key)
	$(DEMO_ENV) $(CHIBO) migrate --noinput
	$(DEMO_ENV) $(CHIBO) collectstatic --noinput --verbosity 0
	$(DEMO_ENV) $(CHIBO) seed --size demo --if-empty
	@echo "Serving http://$(HOST):$(PORT)/ (Ctrl-C stops the server and the task worker)"
	@trap 'kill 0' INT TERM EXIT; \
	$(DEMO_ENV) $(CHIBO) db_worker & \
	$(DEMO_ENV) $(CHIBO) runserver $(HOST):$(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: venv
	$(BIN)/mypy

checks: venv
	$(CHIBO) check --fail-level WARNING
	$(CHIBO) makemigrations --check --dry-run
	DEBUG=false SECRET_KEY=check-deploy-$$(date +%s)-not-a-real-secret-but-long-enough-0123456789 \
	  ALLOWED_HOSTS=chibo.example BEHIND_PROXY=true $(CHIBO) check --deploy --fail-level WARNING

pytest: venv
	$(BIN)/pytest $(PYTEST_ARGS)

# The benchmark (not part of `make test`, which runs a small smoke of it): SIZE=demo|province,
# MONTHS to override the history, JSON to keep the figures.
SIZE ?= province
bench: venv
	$(CHIBO) bench --size $(SIZE) $(if $(MONTHS),--months $(MONTHS)) $(if $(JSON),--json $(JSON))

test: lint typecheck checks pytest

# The inner loop: everything but the sweeps marked `slow` (tests/conftest.py), in a few minutes.
quicktest: venv
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

# Regenerate the translation catalogues (needs GNU gettext; the .mo files are committed).
messages: venv
	cd chibo && ../$(CHIBO) makemessages -l vi --no-obsolete --add-location file
	cd chibo && ../$(CHIBO) compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Re-pin every dependency after a change to pyproject.toml.
lock: venv
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
