from statusmail import create_app

app = create_app()
