"""The built-in procedures' plugin declarations (``PLUGIN``) and appeal re-analyses
(``reanalyse``), one module per procedure; registered in benchscore's ``pyproject.toml`` like
any third-party plugin. They import only :mod:`benchscore` (the scorer loads them)."""
