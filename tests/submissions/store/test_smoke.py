from submissions import accounts


def test_login_with_demo_password(store, world):
    actor = accounts.login(store, "admin", "correct horse battery")
    assert actor.user_id == world.admin.user_id
