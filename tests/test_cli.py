"""The commands the README and Procfile name."""
from statusmail.models import AdminUser


def test_create_admin_with_generated_password(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "Ops@Example.com", "--generate"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ")[1].strip()
    with app.app_context():
        user = AdminUser.query.one()
        assert user.email == "ops@example.com"
        assert user.check_password(password)
        assert user.role == "owner"  # the first account runs the site


def test_create_admin_refuses_bad_input(app):
    runner = app.test_cli_runner()
    bad_address = runner.invoke(args=["create-admin", "not-an-address", "--password", "x" * 12])
    assert bad_address.exit_code != 0 and "EMAIL" in bad_address.output
    short = runner.invoke(args=["create-admin", "ops@example.com", "--password", "short"])
    assert short.exit_code != 0 and "10 characters" in short.output
    with app.app_context():
        assert AdminUser.query.count() == 0


def test_create_admin_prompts_for_a_password(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "ops@example.com"],
                                          input="long enough pw\nlong enough pw\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert AdminUser.query.one().check_password("long enough pw")


def test_create_admin_resets_a_locked_out_admin(app):
    """The owner running create-admin gets in at once: sessions end, counters clear."""
    from tests.support import web
    admin = web.create_admin(app)
    other_session = app.test_client()
    web.login(other_session)
    client = app.test_client()
    for _ in range(5):
        web.submit(client, "/admin/login", {"email": admin.email, "password": "wrong guess!"})
    throttled = web.submit(client, "/admin/login", {"email": admin.email,
                                                     "password": web.ADMIN_PASSWORD})
    assert throttled.status_code == 429
    result = app.test_cli_runner().invoke(args=["create-admin", admin.email,
                                                "--password", "reset from the shell"])
    assert result.exit_code == 0 and "Updated" in result.output
    web.login(client, admin.email, "reset from the shell")
    assert other_session.get("/admin/").status_code == 302
