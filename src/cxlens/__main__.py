from cxlens.cli import app

app()
