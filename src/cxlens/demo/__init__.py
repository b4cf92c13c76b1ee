"""A realistic demo company (a multilingual mobile operator) with planted, documented effects.

`generate()` writes the files a real operator would export plus `truth.json`, so cxlens can be tried
end to end and every analysis can be checked against a known answer.
"""

from cxlens.demo.generate import DemoFiles, generate

__all__ = ["DemoFiles", "generate"]
