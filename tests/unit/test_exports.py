"""Package names imported on first use (cxlens._exports): the public import paths give the same objects as before,
also where a name is a submodule's name too (`cxlens.metrics.scorecard`, `cxlens.privacy.redact`)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("code", [
    # the submodule first: the package attribute must stay the function, as with an eager __init__
    "import cxlens.metrics.scorecard; from cxlens.metrics import scorecard; assert callable(scorecard)\n"
    "from cxlens.metrics.scorecard import scorecard as f; assert scorecard is f",
    "import cxlens.privacy.redact; from cxlens.privacy import redact; assert callable(redact)",
    "from cxlens.metrics import nps_by; import sys; assert 'cxlens.metrics.outcomes' not in sys.modules",
    "from cxlens.privacy.suppress import suppress; import sys; assert 'cxlens.privacy.redact' not in sys.modules",
    "import cxlens.report; import sys; assert 'cxlens.report.sections' not in sys.modules\n"
    "from cxlens.report import build_report, Section; assert callable(build_report)",
    "from cxlens.metrics import *; from cxlens.privacy import *; from cxlens.report import *; assert nps_by and forget",
    "import cxlens.metrics as m; assert set(m.__all__) <= set(dir(m))",
])
def test_public_import_paths_still_work(code):
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_an_unknown_name_is_an_import_error():
    with pytest.raises(ImportError, match="no_such_metric"):
        from cxlens.metrics import no_such_metric  # noqa: F401
