"""Where the course lives. One place in the package; `_config.yml` holds the same URL
(tests/test_notebooks.py::test_repository_url_is_defined_once checks that they agree)."""

REPOSITORY_URL = "https://github.com/bn-interactively/batchnorm-interactively"
BRANCH = "main"
RAW_URL = REPOSITORY_URL.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/" + BRANCH
