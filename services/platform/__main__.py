from services.platform.cli import app

app()
