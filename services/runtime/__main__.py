from services.runtime.cli import app

app()
