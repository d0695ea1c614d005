from django.urls import reverse


def test_landing_page_says_what_this_is_and_links_to_admin_docs_and_first_steps(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "conversations of an LLM chatbot" in page
    assert f'href="{reverse("admin:index")}"' in page
    assert 'href="/api/docs/"' in page
    assert "First steps" in page and "/api/auth/token/" in page


def test_landing_page_needs_no_login_and_no_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200
