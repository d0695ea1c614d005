from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "tests.hostproject.users"
    label = "users"
    default_auto_field = "django.db.models.BigAutoField"
