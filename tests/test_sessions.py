from chatsite.sessions import SessionStore


def test_keys_the_store_makes_are_valid(db):
    store = SessionStore()
    store["user"] = "x"
    store.save()
    assert SessionStore(store.session_key).load() == {"user": "x"}


def test_keys_with_other_characters_are_no_session(db):
    for forged in ("abcdefgh\x00ijkl", "ABCDEFGHIJKL", "abcdefgh ijkl", "abcdefgh'--"):
        assert SessionStore(forged).session_key is None
