"""Sphinx configuration of the course website.

Built by ``python -m handson_rl.maintainers.site`` (``bash course.sh site``), which
stages the pages into ``_build/site-<budget>/src`` and passes, in the environment,
the jupyter-cache folder of that budget and the versions/date for the footer.
Do not run sphinx-build on this folder by hand.
"""

import os

project = "Hands-on RL with Ray RLlib"
author = "The course's authors"
copyright = "the course's authors, Apache-2.0"

extensions = ["myst_nb", "sphinxcontrib.mermaid"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "chapters/outputs"]

# Markdown: ```mermaid fences are diagrams, as in JupyterLab; $...$ is maths.
myst_fence_as_directive = ["mermaid"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# Notebooks: executed through jupyter-cache (an unchanged chapter is not executed
# again), one at a time in their own folder, never longer than an hour per cell;
# an error fails the build unless the cell is tagged raises-exception.
nb_execution_mode = os.environ.get("HANDSON_SITE_EXECUTE", "cache")  # "off": layout only
nb_execution_cache_path = os.environ.get("HANDSON_SITE_CACHE", "../jupyter_cache")
nb_execution_timeout = 3600
nb_execution_in_temp = False
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_code_prompt_show = "Show code"
nb_code_prompt_hide = "Hide code"
# Some cells leave ipywidgets outputs (progress bars). Rendering them needs
# require.js and the widget manager from CDNs; the site loads nothing from other
# sites, so those outputs are shown by their plain-text/HTML fallback instead.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]

# Mermaid's and MathJax's JavaScript are served by the site itself (no CDN): npm_assets.NPM_ASSETS.
mermaid_use_local = "mermaid/mermaid.esm.min.mjs"
mermaid_version = ""
mathjax_path = "mathjax/tex-mml-chtml.js"

html_theme = "sphinx_book_theme"
html_title = "Hands-on RL with Ray RLlib"
# site/_static (the course's CSS) and the staged _static (Mermaid).
html_static_path = ["_static", os.path.join(os.environ.get("HANDSON_SITE_SRC", "."), "_static")]
html_css_files = ["course.css"]
html_last_updated_fmt = ""
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "extra_footer": (
        "Built {date} with {versions}. Each chapter says above its first cell when its "
        "outputs were executed."
    ).format(
        date=os.environ.get("HANDSON_SITE_DATE", "(date unknown)"),
        versions=os.environ.get("HANDSON_SITE_VERSIONS", "(versions unknown)"),
    ),
}

# Pygments cannot lex some of chapter 11's deliberate tracebacks (Ray's remote
# errors nest one inside another); they are shown as plain text instead. Any other
# warning still fails the build.
suppress_warnings = ["misc.highlighting_failure"]
